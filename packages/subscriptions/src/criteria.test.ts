import { describe, expect, it } from 'vitest';
import { matchesFilter, parseCriteria, ResourceValues } from './criteria.js';
import { compileTopic, encounterStartTopic, newLabResultTopic, topicFromResource } from './topics.js';

const match = (criteria: string, resource: Record<string, unknown>) =>
  matchesFilter(parseCriteria(criteria), new ResourceValues(resource as { resourceType: string }));

describe('criteria matching', () => {
  const obs = {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '1234-5', display: 'Glucose' }] },
    subject: { reference: 'Patient/1' },
    effectiveDateTime: '2024-03-05T10:00:00Z',
    valueQuantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  };

  it(':in / :not-in / :below with official terminology; stored ValueSets are refused', () => {
    const status = 'http://hl7.org/fhir/ValueSet/observation-status';
    expect(match(`Observation?status:in=${status}`, obs)).toBe(true);
    expect(match(`Observation?status:not-in=${status}`, obs)).toBe(false);
    expect(match('Observation?status:not-in=http://hl7.org/fhir/ValueSet/administrative-gender', obs)).toBe(
      true,
    );
    expect(match('Observation?status:below=http://hl7.org/fhir/observation-status|amended', obs)).toBe(false);
    expect(match('Observation?status:above=http://hl7.org/fhir/observation-status|final', obs)).toBe(true);
    expect(() => parseCriteria('Observation?code:in=http://example.org/fhir/ValueSet/mine')).toThrow(
      /official R4 ValueSets only/,
    );
  });

  it('matches tokens, references, dates, quantities, strings and missing', () => {
    expect(match('Observation?code=http://loinc.org|1234-5', obs)).toBe(true);
    expect(match('Observation?code=1234-5', obs)).toBe(true);
    expect(match('Observation?code=http://snomed.info/sct|1234-5', obs)).toBe(false);
    expect(match('Observation?code=9,1234-5', obs)).toBe(true); // OR
    expect(match('Observation?code:not=1234-5', obs)).toBe(false);
    expect(match('Observation?subject=Patient/1&status=final', obs)).toBe(true); // AND
    expect(match('Observation?subject=Patient/1&status=amended', obs)).toBe(false);
    expect(match('Observation?patient=1', obs)).toBe(true);
    expect(match('Observation?date=ge2024-03-01&date=lt2024-04', obs)).toBe(true);
    expect(match('Observation?date=2023', obs)).toBe(false);
    expect(match('Observation?value-quantity=gt5|http://unitsofmeasure.org|mmol/L', obs)).toBe(true);
    expect(match('Observation?value-quantity=lt5', obs)).toBe(false);
    expect(match('Observation?encounter:missing=true', obs)).toBe(true);
    expect(match('Observation?code:text=gluc', obs)).toBe(true);
    expect(match('Patient?family=smi', { resourceType: 'Patient', name: [{ family: 'Smith' }] })).toBe(true);
    expect(match('Patient?family:exact=smi', { resourceType: 'Patient', name: [{ family: 'Smith' }] })).toBe(
      false,
    );
    expect(match('Patient', { resourceType: 'Patient' })).toBe(true);
    expect(match('Patient', obs)).toBe(false);
  });

  it('reads ap, ne, UCUM quantities and :text as the search engines do', () => {
    const years = (n: number) => new Date(Date.now() - n * 365.25 * 86_400_000).toISOString().slice(0, 10);
    // ap on a date: the search day widened by a tenth of its distance from now (20 years ago: about 2 years).
    const at = (day: string) => ({ ...obs, effectiveDateTime: `${day}T12:00:00Z` });
    expect(match(`Observation?date=ap${years(20)}`, at(years(21)))).toBe(true);
    expect(match(`Observation?date=ap${years(20)}`, at(years(23)))).toBe(false);
    // ne: the resource has a value and none equals the search value.
    const bp = {
      resourceType: 'Observation',
      component: [{ valueQuantity: { value: 120 } }, { valueQuantity: { value: 80 } }],
    };
    expect(match('Observation?component-value-quantity=ne80', bp)).toBe(false);
    expect(match('Observation?component-value-quantity=ne90', bp)).toBe(true);
    expect(match('Observation?component-value-quantity=ne90', obs)).toBe(false);
    // UCUM: compared in canonical units; annotations are dimensionless 1.
    const kg = { ...obs, valueQuantity: { value: 1, system: 'http://unitsofmeasure.org', code: 'kg' } };
    expect(match('Observation?value-quantity=1000|http://unitsofmeasure.org|g', kg)).toBe(true);
    expect(match('Observation?value-quantity=999|http://unitsofmeasure.org|g', kg)).toBe(false);
    const score = {
      ...obs,
      valueQuantity: { value: 1, system: 'http://unitsofmeasure.org', code: '{score}' },
    };
    expect(match('Observation?value-quantity=1|http://unitsofmeasure.org|{count}', score)).toBe(true);
    // :text: a word of the text starts with the search text.
    const text = (t: string) => ({ ...obs, code: { text: t } });
    expect(match('Observation?code:text=carb', text('Total carbon dioxide'))).toBe(true);
    expect(match('Observation?code:text=carb', text('Hydrocarbon'))).toBe(false);
  });

  it('matches composites within one repetition', () => {
    const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });
    const bp = {
      resourceType: 'Observation',
      component: [
        { code: loinc('8480-6'), valueQuantity: { value: 120 } },
        { code: loinc('8462-4'), valueQuantity: { value: 80 } },
      ],
    };
    expect(match('Observation?code-value-quantity=1234-5$gt5', obs)).toBe(true);
    expect(match('Observation?code-value-quantity=1234-5$lt5', obs)).toBe(false);
    expect(match('Observation?component-code-value-quantity=8480-6$120', bp)).toBe(true);
    expect(match('Observation?component-code-value-quantity=8480-6$80', bp)).toBe(false);
  });

  it('rejects what cannot be evaluated in memory', () => {
    for (const bad of [
      'Observation?nope=1',
      'Nope?x=1',
      'Observation?subject.name=x',
      'Observation?_count=1',
      'Observation?_has:Observation:subject:code=1',
      'Observation?_text=x',
    ])
      expect(() => parseCriteria(bad), bad).toThrow();
  });
});

describe('topics', () => {
  it('evaluates FHIRPath triggers with %previous and %current', () => {
    const t = compileTopic(newLabResultTopic);
    const lab = (status: string) => ({
      resourceType: 'Observation',
      status,
      category: [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' },
          ],
        },
      ],
      code: { text: 'x' },
    });
    expect(t.fires('Observation', 'create', lab('final'), undefined)).toBe(true);
    expect(t.fires('Observation', 'create', lab('preliminary'), undefined)).toBe(false);
    expect(t.fires('Observation', 'update', lab('final'), lab('preliminary'))).toBe(true);
    expect(t.fires('Observation', 'update', lab('final'), lab('final'))).toBe(false);
    expect(t.fires('Observation', 'delete', undefined, lab('final'))).toBe(false);
    expect(t.canFilter('Observation', 'patient')).toBe(true);
    expect(t.canFilter('Observation', 'status')).toBe(false);
    expect(compileTopic(encounterStartTopic).types).toEqual(new Set(['Encounter']));
  });

  it('loads R4B SubscriptionTopic JSON with query criteria', () => {
    const topic = compileTopic(
      topicFromResource({
        resourceType: 'SubscriptionTopic',
        url: 'http://example.org/SubscriptionTopic/encounter-complete',
        status: 'active',
        resourceTrigger: [
          {
            resource: 'http://hl7.org/fhir/StructureDefinition/Encounter',
            supportedInteraction: ['create', 'update'],
            queryCriteria: {
              previous: 'status:not=finished',
              resultForCreate: 'test-passes',
              current: 'status=finished',
              requireBoth: true,
            },
          },
        ],
        canFilterBy: [{ resource: 'Encounter', filterParameter: 'patient' }],
      }),
    );
    const enc = (status: string) => ({ resourceType: 'Encounter', status, class: { code: 'IMP' } });
    expect(topic.fires('Encounter', 'update', enc('finished'), enc('in-progress'))).toBe(true);
    expect(topic.fires('Encounter', 'update', enc('finished'), enc('finished'))).toBe(false);
    expect(topic.fires('Encounter', 'create', enc('finished'), undefined)).toBe(true);
    expect(topic.fires('Encounter', 'create', enc('planned'), undefined)).toBe(false);
    expect(topic.canFilter('Encounter', 'patient')).toBe(true);
  });
});
