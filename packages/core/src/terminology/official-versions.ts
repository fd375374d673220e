/**
 * The business versions of the official R4 ValueSets and CodeSystems
 * (`hl7.fhir.r4.examples`), so that a versioned canonical such as
 * `http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1` or
 * `http://terminology.hl7.org/ValueSet/v3-ActCode|2018-08-12` names the
 * official definition. The generated tables keep no versions; this rule
 * reproduces them (checked against the package by `official-versions.test.ts`).
 */

/** The version of the official package, accepted for every official URL. */
export const OFFICIAL_PACKAGE_VERSION = '4.0.1';

const THO = 'http://terminology.hl7.org/';
const V3_VALUE_SETS = `${THO}ValueSet/v3-`;

/** v3 ValueSets of the package dated 2014-03-26 (the other v3 ones are 2018-08-12). */
const V3_2014_03_26 = new Set(
  `ActClassClinicalDocument ActClassDocument ActClassInvestigation ActClassObservation
  ActClassProcedure ActClassROI ActClassSupply ActConsentDirective ActConsentType
  ActCoverageTypeCode ActEncounterCode ActIncidentCode ActInvoiceGroupCode ActMoodIntent
  ActMoodPredicate ActPharmacySupplyType ActRelationshipConditional ActRelationshipFulfills
  ActRelationshipHasComponent ActRelationshipPertains ActSubstanceAdminSubstitutionCode ActTaskCode
  Compartment ConfidentialityClassification DocumentSectionType EntityClassDevice
  EntityClassLivingSubject EntityClassManufacturedMaterial EntityClassOrganization EntityClassPlace
  EntityClassRoot EntityDeterminerDetermined FamilyMember GeneralPurposeOfUse HumanLanguage
  InformationSensitivityPolicy MilitaryRoleType ObligationPolicy ObservationType
  ParticipationIndirectTarget ParticipationInformationGenerator ParticipationInformationTranscriber
  ParticipationPhysicalPerformer ParticipationTargetDirect ParticipationTargetLocation
  ParticipationTargetSubject ParticipationVerifier PersonalRelationshipRoleType PurposeOfUse
  RefrainPolicy RoleClassAgent RoleClassAssociative RoleClassManufacturedProduct
  RoleClassMutualRelationship RoleClassPartitive RoleClassPassive RoleClassRelationshipFormal
  RoleClassRoot RoleClassServiceDeliveryLocation RoleClassSpecimen SecurityControlObservationValue
  SecurityIntegrityObservationValue SecurityPolicy ServiceDeliveryLocationRoleType
  SeverityObservation SubstanceAdminSubstitutionReason VerificationMethod xBasicConfidentialityKind`.split(
    /\s+/,
  ),
);

/** Official definitions whose version follows none of the rules below. */
const EXCEPTIONS: Readonly<Record<string, string>> = {
  [`${V3_VALUE_SETS}ProvenanceEventCurrentState`]: '2014-08-07',
  [`${V3_VALUE_SETS}ProvenanceEventCurrentState-AS`]: '2014-08-07',
  [`${V3_VALUE_SETS}ProvenanceEventCurrentState-DC`]: '2014-08-07',
  [`${THO}ValueSet/v2-2.1-0006`]: '0006',
  [`${THO}ValueSet/v2-2.4-0006`]: '0006',
  [`${THO}ValueSet/v2-2.3.1-0360`]: '0360',
  [`${THO}ValueSet/v2-2.7-0360`]: '0360',
  [`${THO}ValueSet/v2-2.4-0391`]: '0391',
  [`${THO}ValueSet/v2-2.6-0391`]: '0391',
  [`${THO}CodeSystem/dicom-audit-lifecycle`]: '20100826',
  'http://dicom.nema.org/resources/ontology/DCM': '01',
  'http://healthit.gov/nhin/purposeofuse': '2.0',
};

/**
 * The version the official package gives the ValueSet or CodeSystem at `url`
 * (meaningful only for an official URL).
 *
 * @example
 * ```ts
 * officialVersion('http://hl7.org/fhir/ValueSet/administrative-gender'); // '4.0.1'
 * officialVersion('http://terminology.hl7.org/ValueSet/v3-ActCode'); // '2018-08-12'
 * officialVersion('http://terminology.hl7.org/CodeSystem/v2-0203'); // '2.9'
 * ```
 */
export function officialVersion(url: string): string {
  const exception = EXCEPTIONS[url];
  if (exception) return exception;
  if (url.startsWith(V3_VALUE_SETS))
    return V3_2014_03_26.has(url.slice(V3_VALUE_SETS.length)) ? '2014-03-26' : '2018-08-12';
  if (url.startsWith(`${THO}CodeSystem/v3-`)) return '2018-08-12';
  if (url.startsWith(`${THO}ValueSet/v2-`) || url.startsWith(`${THO}CodeSystem/v2-`)) return '2.9';
  return OFFICIAL_PACKAGE_VERSION;
}

/**
 * Whether `version` names the official definition at `url`: the package's
 * version (4.0.1) or the definition's own `version`.
 *
 * @example
 * ```ts
 * isOfficialVersion('http://terminology.hl7.org/ValueSet/v3-ActCode', '2018-08-12'); // true
 * isOfficialVersion('http://terminology.hl7.org/ValueSet/v3-ActCode', '4.0.1'); // true
 * isOfficialVersion('http://hl7.org/fhir/ValueSet/administrative-gender', '3.0.2'); // false
 * ```
 */
export function isOfficialVersion(url: string, version: string): boolean {
  return version === OFFICIAL_PACKAGE_VERSION || version === officialVersion(url);
}
