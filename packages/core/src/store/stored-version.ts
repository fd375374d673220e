import type { Resource } from 'fhir/r4';
import type { VersionRecord } from './backend.js';
import type { ChangeAction, ChangeEvent, StoredResource } from './types.js';

const decoder = new TextDecoder();

/** The body of a version, or a function that loads it on first use. */
export type BodySource = Uint8Array | undefined | (() => Uint8Array | undefined);

/**
 * One stored version of a resource. It is both a {@link StoredResource} and a
 * {@link ChangeEvent}: the version a commit writes IS its change event. The
 * body is loaded (when a loader is given) and parsed only when first asked for.
 *
 * Backends build these from what they read:
 *
 * @example
 * ```ts
 * const v = new StoredVersion(record, () => versions.getBinary(key));
 * v.resource?.resourceType; // parses on first access
 * ```
 */
export class StoredVersion implements StoredResource, ChangeEvent {
  readonly seq: number;
  readonly txId: string;
  readonly action: ChangeAction;
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: string;
  readonly lastUpdated: string;
  #body: BodySource;
  #resource: Resource | undefined | null = null;

  constructor(record: Omit<VersionRecord, 'body'>, body: BodySource) {
    this.seq = record.seq;
    this.txId = record.txId;
    this.action = record.action;
    this.resourceType = record.resourceType;
    this.id = record.id;
    this.versionId = record.versionId;
    this.lastUpdated = record.lastUpdated;
    this.#body = record.action === 'delete' ? undefined : body;
  }

  get deleted(): boolean {
    return this.action === 'delete';
  }

  get body(): Uint8Array | undefined {
    if (typeof this.#body === 'function') this.#body = this.#body();
    return this.#body;
  }

  get resource(): Resource | undefined {
    if (this.#resource === null) {
      const body = this.body;
      this.#resource = body === undefined ? undefined : (JSON.parse(decoder.decode(body)) as Resource);
    }
    return this.#resource;
  }

  /** A plain JSON form (for transports and logs). */
  toJSON(): Omit<ChangeEvent, 'resource'> & { resource?: Resource } {
    const { seq, txId, action, resourceType, id, versionId, lastUpdated } = this;
    const out: Omit<ChangeEvent, 'resource'> & { resource?: Resource } = {
      seq,
      txId,
      action,
      resourceType,
      id,
      versionId,
      lastUpdated,
    };
    const resource = this.resource;
    if (resource !== undefined) out.resource = resource;
    return out;
  }
}
