import type { VersionRecord } from '@fhirstream/core';

const NEWLINE = 0x0a;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a stored version holds besides its key (type, id, versionId). */
export interface VersionHeader {
  seq: number;
  txId: string;
  action: VersionRecord['action'];
  lastUpdated: string;
}

/**
 * Encode one version as `seq \t txId \t action \t lastUpdated \n body`.
 * JSON never contains a raw newline, so the first `\n` ends the header and the
 * body is served from the stored bytes without re-serializing.
 *
 * @example
 * ```ts
 * const bytes = encodeVersion(record); // Buffer for versions.put()
 * ```
 */
export function encodeVersion(record: VersionRecord): Buffer {
  const header = encoder.encode(`${record.seq}\t${record.txId}\t${record.action}\t${record.lastUpdated}\n`);
  if (!record.body) return Buffer.from(header);
  const out = Buffer.allocUnsafe(header.length + record.body.length);
  out.set(header, 0);
  out.set(record.body, header.length);
  return out;
}

/** Decode what {@link encodeVersion} wrote. */
export function decodeVersion(bytes: Uint8Array): { header: VersionHeader; body: Uint8Array | undefined } {
  const end = bytes.indexOf(NEWLINE);
  const [seq, txId, action, lastUpdated] = decoder.decode(bytes.subarray(0, end)).split('\t') as [
    string,
    string,
    VersionRecord['action'],
    string,
  ];
  const body = end + 1 < bytes.length ? bytes.subarray(end + 1) : undefined;
  return { header: { seq: Number(seq), txId, action, lastUpdated }, body };
}
