import { FhirError } from '../errors/fhir-error.js';
import { type CommitPlan, keyOf, type PlanInput, type ResourceHead, type VersionRecord } from './backend.js';
import { type PreparedBody, stampBody } from './resource-body.js';
import type { ChangeAction, WriteResult } from './types.js';

/** A write op after validation: its key is known and its body is serialized. */
export interface PlannedOp {
  op: 'create' | 'update' | 'delete';
  resourceType: string;
  id: string;
  /** For create and update. */
  body?: PreparedBody;
  ifMatch?: string;
  mustExist?: boolean;
  /** True when the id was assigned by the server (a collision is then a bug, not a conflict). */
  assignedId?: boolean;
}

/** A plan plus, for each op, what it did (`record` is the index into `plan.records`, or -1 for a no-op). */
export interface PlannedCommit {
  plan: CommitPlan;
  outcomes: Array<{ outcome: WriteResult['outcome']; record: number }>;
}

/**
 * Decide versions, timestamps, seqs and preconditions for a commit, from the
 * heads read inside the backend's transaction. Pure: it writes nothing, and
 * throws a {@link FhirError} (so the backend writes nothing) when a
 * precondition fails.
 *
 * Timestamps never go backwards: every version of a commit gets
 * `max(now, lastUpdated of the log head)`, so `lastUpdated` is non-decreasing
 * in `seq`.
 *
 * @example
 * ```ts
 * const { plan } = planCommit(ops, { heads, log: { seq: 41, lastUpdated } }, 'tx-1', Date.now());
 * plan.records[0].seq; // 42
 * ```
 */
export function planCommit(
  ops: readonly PlannedOp[],
  input: PlanInput,
  txId: string,
  now: number,
): PlannedCommit {
  const lastMs = input.log.lastUpdated ? Date.parse(input.log.lastUpdated) : 0;
  const lastUpdated = new Date(Math.max(now, lastMs)).toISOString();
  const records: VersionRecord[] = [];
  const outcomes: PlannedCommit['outcomes'] = [];
  let seq = input.log.seq;

  for (const op of ops) {
    const head = input.heads.get(keyOf(op.resourceType, op.id));
    const decision = decide(op, head);
    if (decision === 'noop') {
      outcomes.push({ outcome: 'noop', record: -1 });
      continue;
    }
    const versionId = String(head ? Number(head.versionId) + 1 : 1);
    seq += 1;
    const body =
      decision.action === 'delete'
        ? undefined
        : Buffer.from(stampBody(op.body!, op.id, versionId, lastUpdated), 'utf8');
    records.push({
      seq,
      txId,
      action: decision.action,
      resourceType: op.resourceType,
      id: op.id,
      versionId,
      lastUpdated,
      body,
    });
    outcomes.push({ outcome: decision.outcome, record: records.length - 1 });
  }
  return { plan: { txId, records }, outcomes };
}

type Decision = 'noop' | { action: ChangeAction; outcome: WriteResult['outcome'] };

function decide(op: PlannedOp, head: ResourceHead | undefined): Decision {
  const ref = `${op.resourceType}/${op.id}`;
  const live = head !== undefined && !head.deleted;
  if (op.ifMatch !== undefined && (head === undefined || head.versionId !== op.ifMatch)) {
    const actual =
      head === undefined
        ? 'does not exist'
        : `is at version ${head.versionId}${head.deleted ? ' (deleted)' : ''}`;
    throw new FhirError('version-conflict', `${ref} ${actual}, not version ${op.ifMatch}`);
  }
  switch (op.op) {
    case 'create':
      if (live) {
        if (op.assignedId) throw new FhirError('internal', `Server-assigned id collided: ${ref}`);
        throw new FhirError('already-exists', `${ref} already exists`);
      }
      return { action: 'create', outcome: 'created' };
    case 'update':
      if (!live && op.mustExist) {
        throw new FhirError(head ? 'gone' : 'not-found', `${ref} ${head ? 'is deleted' : 'does not exist'}`);
      }
      return live ? { action: 'update', outcome: 'updated' } : { action: 'create', outcome: 'created' };
    case 'delete':
      return live ? { action: 'delete', outcome: 'deleted' } : 'noop';
  }
}
