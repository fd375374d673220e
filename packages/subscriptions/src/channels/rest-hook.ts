import { FhirError } from '@fhirstream/core';
import type { SubscriptionChannel } from './types.js';

/** Options of {@link restHookChannel}. */
export interface RestHookOptions {
  /** Timeout of one POST without `backport-timeout`, in ms (default 10,000). */
  defaultTimeoutMs?: number;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
}

/**
 * The `rest-hook` channel: POSTs each notification Bundle to
 * `channel.endpoint` with `channel.header` values as HTTP headers, the
 * `channel.payload` MIME type (default `application/fhir+json`) and
 * `backport-timeout`. Any 2xx accepts; anything else is retried.
 *
 * @example
 * ```ts
 * createSubscriptionEngine({ store, baseUrl, channels: [restHookChannel({ defaultTimeoutMs: 5000 })] });
 * ```
 */
export function restHookChannel(options: RestHookOptions = {}): SubscriptionChannel {
  const doFetch = options.fetch ?? fetch;
  return {
    type: 'rest-hook',
    handshake: 'activation',
    async send(sub, bundle) {
      if (!sub.endpoint) throw new FhirError('invalid', `Subscription ${sub.id} has no endpoint`);
      const headers = new Headers({ 'content-type': sub.payloadMime ?? 'application/fhir+json' });
      for (const h of sub.headers) {
        const i = h.indexOf(':');
        if (i > 0) headers.set(h.slice(0, i).trim(), h.slice(i + 1).trim());
      }
      const timeoutMs = sub.timeoutSeconds ? sub.timeoutSeconds * 1000 : (options.defaultTimeoutMs ?? 10_000);
      const res = await doFetch(sub.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(bundle),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) throw new Error(`${sub.endpoint} answered ${res.status}`);
      return 'sent';
    },
  };
}
