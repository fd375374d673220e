/**
 * The Redis client as the transport uses it, by shape: `ioredis` fits it.
 * `duplicate()` opens another connection for a consumer's blocking reads.
 */
export interface RedisClientLike {
  call(command: string, ...args: Array<string | number | Buffer>): Promise<unknown>;
  duplicate(): RedisClientLike;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** One stream entry: its id and its first field's value. */
export interface StreamEntry {
  id: string;
  data: string;
}

/** Entries of an XRANGE/XREADGROUP/XAUTOCLAIM reply list (`[id, [field, value, ...]]`, or null for a deleted one). */
export function parseEntries(list: unknown): StreamEntry[] {
  if (!Array.isArray(list)) return [];
  const out: StreamEntry[] = [];
  for (const item of list) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) continue;
    out.push({ id: item[0], data: String(item[1][1] ?? '') });
  }
  return out;
}

/** The entries of an XREADGROUP reply for one stream (`[[key, entries]]` or null). */
export function parseReadGroup(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const first = reply[0] as unknown[];
  return parseEntries(first?.[1]);
}

/** The seq of a `<seq>-0` entry id. */
export function seqOfId(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
