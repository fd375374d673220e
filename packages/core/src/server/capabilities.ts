import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4';
import { resourceTypes } from '../definitions/index.js';
import type { ServerDeps } from './server-context.js';
import type { OperationHandler } from './types.js';

/** Name and version shown in the CapabilityStatement. */
export interface SoftwareInfo {
  name: string;
  version: string;
}

/**
 * A CapabilityStatement generated from what is registered: every R4 resource
 * type with the interactions the server implements, the search parameters
 * the search engine supports for it, and the registered operations.
 *
 * @example
 * ```ts
 * const cs = capabilityStatement(deps, 'http://localhost:8080/fhir');
 * cs.rest?.[0]?.resource?.find((r) => r.type === 'Patient')?.searchParam?.length;
 * ```
 */
export function capabilityStatement(
  deps: ServerDeps,
  baseUrl: string,
  software: SoftwareInfo = { name: 'Fhirstream', version: '0.1.0' },
): CapabilityStatement {
  const search = deps.search;
  const operations = [...deps.operations.values()];
  const resource = resourceTypes().map((type): CapabilityStatementRestResource => {
    const interactions = [
      'read',
      'vread',
      'update',
      'patch',
      'delete',
      'history-instance',
      'history-type',
      'create',
    ];
    if (search) interactions.push('search-type');
    return {
      type: type as CapabilityStatementRestResource['type'],
      interaction: interactions.map((code) => ({ code: code as 'read' })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: !!search,
      conditionalUpdate: !!search,
      conditionalDelete: search ? 'single' : 'not-supported',
      conditionalRead: 'full-support',
      referencePolicy: ['literal', 'local'],
      ...(search
        ? {
            searchParam: search.parametersFor(type).map((p) => ({
              name: p.name,
              type: p.type,
              ...(p.definition ? { definition: p.definition } : {}),
              ...(p.documentation ? { documentation: p.documentation } : {}),
            })),
          }
        : {}),
      ...(operations.some((o) => o.scope.type || o.scope.instance)
        ? {
            operation: operations
              .filter(
                (o) => (o.scope.type || o.scope.instance) && (!o.scope.types || o.scope.types.includes(type)),
              )
              .map((o) => operationEntry(o, baseUrl)),
          }
        : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software,
    implementation: { description: `${software.name} FHIR R4 server`, url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: ['application/json-patch+json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        resource,
        interaction: [
          { code: 'transaction' },
          { code: 'batch' },
          { code: 'history-system' },
          ...(search ? [{ code: 'search-system' as const }] : []),
        ],
        ...(search
          ? { searchParam: search.parametersFor('Resource').map((p) => ({ name: p.name, type: p.type })) }
          : {}),
        operation: operations.filter((o) => o.scope.system).map((o) => operationEntry(o, baseUrl)),
      },
    ],
  };
}

/** A registered operation as the CapabilityStatement lists it. */
function operationEntry(o: OperationHandler, baseUrl: string): { name: string; definition: string } {
  return { name: o.name, definition: o.definition ?? `${baseUrl}/OperationDefinition/${o.name}` };
}
