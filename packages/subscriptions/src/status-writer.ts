import type { ResourceStore } from '@fhirstream/core';
import type { SubscriptionStatusCode } from './backport.js';
import type { SubscriptionResource } from './fhir-types.js';

/**
 * Writes a subscription's status (`active`, `error` with its reason) back into
 * its Subscription resource, one write at a time per subscription, with
 * If-Match so a concurrent client update is never overwritten; an `off`
 * subscription, or one already in that state, is left alone.
 *
 * @example
 * ```ts
 * const writer = new StatusWriter(store, (e, id) => console.error(id, e));
 * writer.reflect('sub-1', 'error', 'receiver answered 500');
 * await writer.settled();
 * ```
 */
export class StatusWriter {
  readonly #chains = new Map<string, Promise<void>>();

  constructor(
    private readonly store: ResourceStore,
    private readonly onError: (error: unknown, subscriptionId: string) => void,
  ) {}

  reflect(id: string, status: SubscriptionStatusCode, error?: string): void {
    const run = async () => {
      const current = await this.store.read('Subscription', id);
      const r = current?.resource as SubscriptionResource | undefined;
      if (!current || current.deleted || !r || r.status === 'off') return;
      if (r.status === status && (status !== 'error' || r.error === error)) return;
      const next: SubscriptionResource = { ...r, status };
      if (status === 'error' && error) next.error = error;
      else delete next.error;
      await this.store.commit([{ op: 'update', resource: next as never, ifMatch: current.versionId }]);
    };
    const chain = (this.#chains.get(id) ?? Promise.resolve()).then(run).catch((e) => this.onError(e, id));
    this.#chains.set(id, chain);
  }

  /** Resolves when every status write queued so far is done. */
  async settled(): Promise<void> {
    await Promise.all([...this.#chains.values()]);
  }
}
