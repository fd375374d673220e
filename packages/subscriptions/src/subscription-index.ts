/**
 * Subscriptions indexed for matching: by resource type, then — when one of
 * a subscription's filters pins a parameter to values (a token `system|code`,
 * a reference id, an exact uri) — by that parameter and value. A write looks
 * up only the subscriptions keyed by the values it actually has, plus the
 * unkeyed ones of its type, so 10,000 subscriptions on different codes cost a
 * handful of evaluations per write, not 10,000.
 */
import type { IndexValue, ParamClause } from '@fhirstream/core';
import type { CompiledFilter, ResourceValues } from './criteria.js';
import type { ParsedSubscription } from './parse-subscription.js';

/** A subscription in the index. */
export interface IndexEntry {
  sub: ParsedSubscription;
  /** Version of the Subscription resource indexed (older versions seen in a replay are ignored). */
  versionId: number;
  /** Seq of the Subscription's creation: earlier writes never match it. */
  createdSeq: number;
  /** The filters that apply to each registered type. */
  filtersByType: Map<string, CompiledFilter[]>;
}

interface Bucket {
  unkeyed: Set<IndexEntry>;
  /** param code → value key → entries */
  keyed: Map<string, Map<string, Set<IndexEntry>>>;
}

interface Registration {
  type: string;
  key?: { code: string; values: string[] };
}

function clauseKeys(clause: ParamClause): string[] | undefined {
  if (clause.modifier !== undefined && clause.param.type !== 'reference') return undefined;
  if (clause.modifier !== undefined && !/^[A-Z]/.test(clause.modifier)) return undefined;
  const keys: string[] = [];
  for (const v of clause.values) {
    if (v.kind === 'token' && v.code !== undefined)
      keys.push(v.system ? `${v.system}|${v.code}` : `*|${v.code}`);
    else if (v.kind === 'reference' && v.id !== undefined && v.url === undefined) keys.push(`/${v.id}`);
    else if (v.kind === 'uri' && clause.modifier === undefined) keys.push(v.value);
    else return undefined;
  }
  return keys.length > 0 ? keys : undefined;
}

/** The index keys of one extracted value. */
function valueKeys(v: IndexValue, out: string[]): void {
  if (v.kind === 'token' && v.code !== undefined) {
    if (v.system) out.push(`${v.system}|${v.code}`);
    out.push(`*|${v.code}`);
  } else if (v.kind === 'reference' && v.id !== undefined) out.push(`/${v.id}`);
  else if (v.kind === 'uri') out.push(v.value);
}

/**
 * The in-memory subscription index.
 *
 * @example
 * ```ts
 * const index = new SubscriptionIndex();
 * index.upsert(parsed, 1, 10);
 * index.candidates('Observation', new ResourceValues(observation)); // only subscriptions that may match
 * ```
 */
export class SubscriptionIndex {
  readonly #byId = new Map<string, { entry: IndexEntry; regs: Registration[] }>();
  readonly #buckets = new Map<string, Bucket>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): IndexEntry | undefined {
    return this.#byId.get(id)?.entry;
  }

  entries(): IndexEntry[] {
    return [...this.#byId.values()].map((v) => v.entry);
  }

  /** Whether any subscription may match a write of `type`. */
  has(type: string): boolean {
    return this.#buckets.has(type) || this.#buckets.has('*');
  }

  upsert(sub: ParsedSubscription, versionId: number, createdSeq: number): IndexEntry {
    this.remove(sub.id);
    const filtersByType = new Map<string, CompiledFilter[]>();
    let types: string[];
    if (sub.topic.types.has('*'))
      types = sub.filters.length > 0 ? [...new Set(sub.filters.map((f) => f.resourceType))] : ['*'];
    else types = [...sub.topic.types];
    for (const t of types)
      filtersByType.set(
        t,
        sub.filters.filter((f) => f.resourceType === t),
      );
    const entry: IndexEntry = { sub, versionId, createdSeq, filtersByType };
    const regs: Registration[] = [];
    for (const type of types) {
      const bucket = this.#bucket(type);
      let key: Registration['key'];
      for (const f of filtersByType.get(type) ?? []) {
        for (const c of f.clauses) {
          const values = clauseKeys(c);
          if (values) {
            key = { code: c.param.code, values };
            break;
          }
        }
        if (key) break;
      }
      if (!key) bucket.unkeyed.add(entry);
      else {
        const byValue = bucket.keyed.get(key.code) ?? new Map<string, Set<IndexEntry>>();
        bucket.keyed.set(key.code, byValue);
        for (const v of key.values) {
          const set = byValue.get(v) ?? new Set<IndexEntry>();
          byValue.set(v, set);
          set.add(entry);
        }
      }
      regs.push({ type, ...(key ? { key } : {}) });
    }
    this.#byId.set(sub.id, { entry, regs });
    return entry;
  }

  remove(id: string): void {
    const found = this.#byId.get(id);
    if (!found) return;
    this.#byId.delete(id);
    for (const reg of found.regs) {
      const bucket = this.#buckets.get(reg.type);
      if (!bucket) continue;
      if (!reg.key) bucket.unkeyed.delete(found.entry);
      else {
        const byValue = bucket.keyed.get(reg.key.code);
        for (const v of reg.key.values) {
          const set = byValue?.get(v);
          set?.delete(found.entry);
          if (set?.size === 0) byValue!.delete(v);
        }
        if (byValue?.size === 0) bucket.keyed.delete(reg.key.code);
      }
      if (bucket.unkeyed.size === 0 && bucket.keyed.size === 0) this.#buckets.delete(reg.type);
    }
  }

  /** The subscriptions that may match a write of `type` with these values (each once). */
  candidates(type: string, values: ResourceValues): IndexEntry[] {
    const out = new Set<IndexEntry>();
    for (const name of [type, '*']) {
      const bucket = this.#buckets.get(name);
      if (!bucket) continue;
      for (const e of bucket.unkeyed) out.add(e);
      const keys: string[] = [];
      for (const [code, byValue] of bucket.keyed) {
        keys.length = 0;
        for (const v of values.get(code)) valueKeys(v, keys);
        for (const k of keys) for (const e of byValue.get(k) ?? []) out.add(e);
      }
    }
    return [...out];
  }

  #bucket(type: string): Bucket {
    const b = this.#buckets.get(type) ?? { unkeyed: new Set<IndexEntry>(), keyed: new Map() };
    this.#buckets.set(type, b);
    return b;
  }
}
