import type { Workload } from '../harness/types.js';
import { bulkEverything } from './bulk-everything.js';
import { bulkExportWorkload } from './bulk-export.js';
import { changesReplay } from './changes-replay.js';
import { httpCreate } from './http-create.js';
import { httpIngest } from './http-ingest.js';
import { httpRead } from './http-read.js';
import { scaleout } from './scaleout.js';
import { searchQueries } from './search-queries.js';
import { storeCommit } from './store-commit.js';
import { subscriptions } from './subscriptions.js';

/**
 * Every workload of `pnpm bench`, in run order. To add one: write a file in
 * this folder exporting a {@link Workload}, and list it here.
 */
export const workloads: Workload[] = [
  storeCommit,
  changesReplay,
  httpRead,
  httpCreate,
  httpIngest,
  searchQueries,
  bulkEverything,
  bulkExportWorkload,
  subscriptions,
  scaleout,
];
