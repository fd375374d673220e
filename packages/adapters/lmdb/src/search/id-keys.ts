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
import * as orderedBinary from 'ordered-binary';

/** An index database whose keys are read as the resource id they end with. */
export type IdKeysDb = Database<unknown, Key>;

/** The id (last element) of an ordered-binary key in `bytes[start, end)`. */
export function readIdKey(bytes: Uint8Array, start: number, end: number): string {
  let e = end;
  while (e > start && bytes[e - 1] === 0) e--; // the null terminator, when included
  let z = e - 1;
  while (z >= start && bytes[z] !== 0) z--;
  return (bytes as Buffer).toString('latin1', z + 1, e);
}

/** The `keyEncoder` of an {@link IdKeysDb}: ordered-binary writes, id-only reads. */
export const ID_KEY_ENCODER = {
  writeKey: orderedBinary.writeKey,
  readKey: readIdKey,
  enableNullTermination: orderedBinary.enableNullTermination,
};
