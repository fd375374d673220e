/**
 * A second handle on an index database whose keys read back as their last
 * element only: the resource id. Scans that collect ids skip decoding the
 * other elements of every key, which is most of a scan's cost.
 *
 * Keys are written (and range bounds encoded) as lmdb's default ordered-binary
 * keys; reading takes the bytes after the last 0 separator. Index keys end
 * with the id, a FHIR id (`[A-Za-z0-9\-.]{1,64}`), which ordered-binary
 * writes as its plain ASCII bytes.
 */

import type { Database, Key } from 'lmdb';
import * as lmdb from 'lmdb';
import * as orderedBinary from 'ordered-binary';

/** An index database whose keys are read as the resource id they end with. */
export type IdKeysDb = Database<unknown, Key>;

/** Buffer's own latin1 decoder (`toString` checks its arguments and dispatches on the encoding first). */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(start: number, end: number): string })
  .latin1Slice;

/** The id (last element) of an ordered-binary key in `bytes[start, end)`. */
export function readIdKey(bytes: Uint8Array, start: number, end: number): string {
  let e = end;
  while (e > start && bytes[e - 1] === 0) e--; // the null terminator, when included
  let z = e - 1;
  while (z >= start && bytes[z] !== 0) z--;
  return latin1Slice.call(bytes, z + 1, e);
}

/** The `keyEncoder` of an {@link IdKeysDb}: ordered-binary writes, id-only reads. */
export const ID_KEY_ENCODER = {
  writeKey: orderedBinary.writeKey,
  readKey: readIdKey,
  enableNullTermination: orderedBinary.enableNullTermination,
};

/**
 * A key encoded by lmdb's own key encoder (its copy of ordered-binary).
 *
 * @example
 * ```ts
 * lmdbKeyBytes(['t', 'Patient', 'gender', '', 'male', 'p1']); // the bytes lmdb stores for that key
 * ```
 */
export const lmdbKeyBytes = (lmdb as unknown as { keyValueToBuffer: (key: Key) => Uint8Array })
  .keyValueToBuffer;

/** Keys of every element kind the index writes, to compare the two encoders on. */
const SAMPLE_KEYS: Key[][] = [
  ['t', 'Observation', 'code', 'http://loinc.org', '8302-2', 'a1b2-c3.d4'],
  ['d', 'Encounter', 'date', -8.64e15, 1.6e12 + 0.5, 'x'],
  ['s', 'Patient', 'name', 'müller \u{1F600}', ''],
  ['q', 'Observation', 'value-quantity', -0.001, 3, 1e21, 'y'],
];

/**
 * Whether this package's `ordered-binary` encodes keys byte for byte as the
 * copy inside lmdb does: {@link ID_KEY_ENCODER} writes range bounds with the
 * former while the index keys were written with the latter, so a difference
 * would make id scans miss keys silently.
 *
 * @example
 * ```ts
 * if (!encodersAgree()) throw new Error('ordered-binary and lmdb disagree');
 * ```
 */
export function encodersAgree(
  encode: (key: Key) => Uint8Array = orderedBinaryKey,
  reference: (key: Key) => Uint8Array = lmdbKeyBytes,
): boolean {
  return SAMPLE_KEYS.every((k) => Buffer.from(encode(k)).equals(Buffer.from(reference(k))));
}

function orderedBinaryKey(key: Key): Uint8Array {
  const target = Buffer.alloc(2048);
  const end = orderedBinary.writeKey(key, target, 0);
  return target.subarray(0, end);
}

if (!encodersAgree())
  throw new Error(
    'The ordered-binary package and the copy inside lmdb encode keys differently: install the ordered-binary version lmdb depends on',
  );
