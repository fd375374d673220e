import type { Server } from 'node:http';
import { join } from 'node:path';
import { bulkExport, bulkImport, everythingOperation } from '@fhirstream/bulk';
import { lmdbCompartmentIndex } from '@fhirstream/bulk/lmdb';
import type { OperationHandler, Projector, ResourceStore, SearchEngine } from '@fhirstream/core';
import type { LmdbBackend } from '@fhirstream/lmdb';
import { createSubscriptionEngine } from '@fhirstream/subscriptions';
import type { CapabilityStatement } from 'fhir/r4';

/** What the example server adds on top of the REST API: subscriptions, `$everything`, Bulk Data. */
export interface ClinicalFeatures {
  operations: OperationHandler[];
  projectors: Projector[];
  validate: (resource: unknown, expectedType?: string) => void;
  capabilityStatement: (cs: CapabilityStatement) => CapabilityStatement;
  /** Serve the subscription websocket on the HTTP server. */
  attach(http: Server): void;
  close(): Promise<void>;
}

/**
 * The example server's features beyond CRUD and search: subscriptions (the
 * generic `https://fhirstream.dev/SubscriptionTopic/resource-change` topic
 * plus clinical examples; rest-hook, websocket), `Patient/$everything` from
 * the patient compartment projector (LMDB), and Bulk Data `$export` /
 * `$import` (files under `dataDir`; imports only from `dataDir/import`).
 *
 * @example
 * ```ts
 * const features = createClinicalFeatures({ store, lmdb: backend, dataDir: './.data', baseUrl: 'http://127.0.0.1:8080/fhir' });
 * const fhir = await createFhirServer({ store, search, operations: features.operations, validate: features.validate });
 * ```
 */
export function createClinicalFeatures(options: {
  store: ResourceStore;
  lmdb: LmdbBackend | undefined;
  search: SearchEngine | undefined;
  dataDir: string;
  baseUrl: string;
}): ClinicalFeatures {
  const { store } = options;
  const subscriptions = createSubscriptionEngine({
    store,
    baseUrl: options.baseUrl,
    ...(options.search?.registry ? { registry: options.search.registry } : {}),
  });
  const compartments = options.lmdb ? lmdbCompartmentIndex(options.lmdb) : undefined;
  const exporter = bulkExport({ store, directory: join(options.dataDir, 'bulk-export') });
  const importer = bulkImport({
    store,
    directory: join(options.dataDir, 'bulk-import'),
    inputDirectories: [join(options.dataDir, 'import')],
  });
  return {
    operations: [
      ...subscriptions.operations,
      ...(compartments ? [everythingOperation({ compartments })] : []),
      ...exporter.operations,
      ...importer.operations,
    ],
    projectors: [subscriptions.projector, ...(compartments ? [compartments.projector] : [])],
    validate: subscriptions.validator(),
    capabilityStatement: (cs) => subscriptions.capabilities(cs as never) as CapabilityStatement,
    attach: (http) => subscriptions.websocket.attach(http, '/fhir/$websocket'),
    async close() {
      await subscriptions.close();
      await exporter.close();
      await importer.close();
    },
  };
}
