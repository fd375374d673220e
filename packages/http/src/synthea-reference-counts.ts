/**
 * Search totals over the full Synthea data set (`../shared/data/synthea-100`)
 * from an independent FHIR implementation: Medplum's FHIR router
 * (`@medplum/fhir-router` 4.5.2, `MemoryRepository`), with all 122 bundles
 * posted through its batch/transaction handling (92,114 resources, no failed
 * entry; its router does not resolve conditional references such as
 * `Practitioner?identifier=…`, so they were rewritten to `Type/id` with its
 * own search first). Measured on 2026-11-26 by a script outside this
 * repository; only the numbers are recorded here.
 *
 * Only queries whose semantics that implementation applies as search.html
 * does are listed (its in-memory matcher treats strings and uris as
 * substrings, `eq` on dates as an overlap, and does not evaluate quantity,
 * number, composite, chained or `_has` parameters, nor `_include`); see
 * docs/search-comparison.md for those.
 *
 * @example
 * ```ts
 * for (const { query, total } of MEDPLUM_ROUTER_TOTALS) expect(await count(query)).toBe(total);
 * ```
 */
export const MEDPLUM_ROUTER_TOTALS: ReadonlyArray<{ query: string; total: number }> = [
  { query: 'Patient?gender=female', total: 64 },
  { query: 'Patient?birthdate=ge1970-01-01', total: 63 },
  { query: 'Patient?birthdate=lt1950', total: 24 },
  { query: 'Encounter?date=ge2015-01-01&date=lt2016-01-01', total: 296 },
  { query: 'Observation?code=http://loinc.org|8302-2', total: 1243 },
  { query: 'Observation?code=8302-2', total: 1243 },
  { query: 'Observation?category=vital-signs', total: 12002 },
  { query: 'Observation?date=ge2020-01-01', total: 18402 },
  { query: 'Condition?code=http://snomed.info/sct|44054006', total: 8 },
  { query: 'Encounter?class=AMB', total: 4388 },
  { query: 'Encounter?class=http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB', total: 4388 },
  { query: 'MedicationRequest?status=active', total: 367 },
  { query: 'Claim?use=claim', total: 9856 },
  { query: 'Procedure?date=lt2000-01-01', total: 131 },
  { query: 'Immunization?vaccine-code=http://hl7.org/fhir/sid/cvx|140', total: 1001 },
  { query: 'Observation?_profile=http://hl7.org/fhir/StructureDefinition/bodyheight', total: 1243 },
  { query: 'DiagnosticReport?category=http://loinc.org|34117-2', total: 4769 },
  { query: 'Patient', total: 120 },
  { query: 'Practitioner', total: 195 },
  { query: 'Organization', total: 194 },
  { query: 'Location', total: 194 },
  { query: 'Observation', total: 42929 },
  { query: 'Encounter', total: 4769 },
  { query: 'Condition', total: 1597 },
  { query: 'Claim', total: 9856 },
];

/**
 * The same implementation's first five `Observation?code=http://loinc.org|8302-2&_sort=-date`,
 * by `effectiveDateTime` (ids differ: it assigns its own).
 */
export const MEDPLUM_ROUTER_NEWEST_HEIGHTS = [
  '2021-07-10T08:03:00+02:00',
  '2021-07-06T11:48:41+02:00',
  '2021-07-01T18:53:31+02:00',
  '2021-06-16T16:22:14+02:00',
  '2021-06-16T13:21:24+02:00',
];
