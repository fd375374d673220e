import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { FhirError } from '@fhirstream/core';
import type { ParsedSubscription } from '../parse-subscription.js';
import type { SubscriptionChannel } from './types.js';

/** Options of {@link restHookChannel}. */
export interface RestHookOptions {
  /** Timeout of one POST without `backport-timeout`, in ms (default 10,000). */
  defaultTimeoutMs?: number;
  /**
   * Send with this fetch instead of the channel's own keep-alive node:http(s)
   * client (e.g. a proxy-aware fetch); it then follows redirects as it does.
   */
  fetch?: typeof fetch;
  /** How long an idle keep-alive connection to a receiver is kept, in ms (default 4,000; less when the receiver announces less). */
  keepAliveMs?: number;
}

/** Redirects followed, as fetch does. */
const MAX_REDIRECTS = 20;
/** Request headers not carried to another origin on a redirect (as fetch and undici do). */
const CROSS_ORIGIN_DROPPED = ['authorization', 'cookie', 'proxy-authorization'];

/** `content-type` from `channel.payload`, then the `channel.header` values (a repeated name: the last one). */
function requestHeaders(sub: ParsedSubscription): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': sub.payloadMime ?? 'application/fhir+json' };
  for (const h of sub.headers) {
    const i = h.indexOf(':');
    if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return headers;
}

/**
 * The `rest-hook` channel: POSTs each notification Bundle to
 * `channel.endpoint` with `channel.header` values as HTTP headers, the
 * `channel.payload` MIME type (default `application/fhir+json`) and
 * `backport-timeout`. Any 2xx accepts; anything else is retried (a 307/308 is
 * followed with the same POST, as fetch does; any other 3xx is not an
 * acceptance, as it would not bring the notification to the receiver).
 *
 * Connections to receivers are kept alive and reused (one node:http(s) agent
 * per channel), so a busy subscription costs one POST per notification, not
 * a connection. A request on a reused connection that the receiver closed
 * meanwhile is sent once more on a new one.
 *
 * @example
 * ```ts
 * createSubscriptionEngine({ store, baseUrl, channels: [restHookChannel({ defaultTimeoutMs: 5000 })] });
 * ```
 */
export function restHookChannel(options: RestHookOptions = {}): SubscriptionChannel {
  const agentOptions = { keepAlive: true, timeout: options.keepAliveMs ?? 4000 };
  let agents: Agents | undefined;
  const timeoutOf = (sub: ParsedSubscription) =>
    sub.timeoutSeconds ? sub.timeoutSeconds * 1000 : (options.defaultTimeoutMs ?? 10_000);

  const viaFetch = async (doFetch: typeof fetch, sub: ParsedSubscription, endpoint: string, body: string) => {
    const res = await doFetch(endpoint, {
      method: 'POST',
      headers: new Headers(requestHeaders(sub)),
      body,
      signal: AbortSignal.timeout(timeoutOf(sub)),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status, from: undefined };
  };

  const viaHttp = async (sub: ParsedSubscription, endpoint: string, body: string) => {
    agents ??= { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
    const payload = Buffer.from(body);
    const headers = requestHeaders(sub);
    headers['content-length'] = String(payload.length);
    const deadline = Date.now() + timeoutOf(sub);
    let url = new URL(endpoint);
    for (let hop = 0; ; hop++) {
      const answer = await post(url, headers, payload, deadline, agents);
      const location = answer.location;
      const from = hop > 0 ? url.href : undefined;
      if ((answer.status !== 307 && answer.status !== 308) || !location || hop === MAX_REDIRECTS)
        return { status: answer.status, from };
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return { status: answer.status, from };
      if (next.origin !== url.origin) for (const h of CROSS_ORIGIN_DROPPED) delete headers[h];
      url = next;
    }
  };

  return {
    type: 'rest-hook',
    handshake: 'activation',
    async send(sub, bundle) {
      if (!sub.endpoint) throw new FhirError('invalid', `Subscription ${sub.id} has no endpoint`);
      const body = JSON.stringify(bundle);
      const { status, from } = options.fetch
        ? await viaFetch(options.fetch, sub, sub.endpoint, body)
        : await viaHttp(sub, sub.endpoint, body);
      if (status < 200 || status > 299)
        throw new Error(`${sub.endpoint} answered ${status}${from ? ` (redirected to ${from})` : ''}`);
      return 'sent';
    },
    async close() {
      agents?.http.destroy();
      agents?.https.destroy();
      agents = undefined;
    },
  };
}

/** The keep-alive agents of one channel, one per protocol. */
interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

/** A receiver's answer to one POST. */
interface Answer {
  status: number;
  location?: string;
}

/**
 * One POST: its status and `Location` once the response has been read to
 * its end (so the connection can carry the next one). Rejects on a network
 * error or at `deadline`; a reused keep-alive connection that turns out to be
 * closed by the receiver gets one more try on a new connection.
 */
async function post(
  url: URL,
  headers: Record<string, string>,
  payload: Buffer,
  deadline: number,
  agents: Agents,
): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(url, headers, payload, deadline, agents);
    } catch (error) {
      const stale = (error as { staleConnection?: boolean }).staleConnection === true;
      if (!stale || attempt > 0 || Date.now() >= deadline) throw error;
    }
  }
}

function postOnce(
  url: URL,
  headers: Record<string, string>,
  payload: Buffer,
  deadline: number,
  agents: Agents,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const https = url.protocol === 'https:';
    let req: ClientRequest;
    let answered: Answer | undefined;
    let settled = false;
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(answered!);
    };
    const ms = Math.max(1, deadline - Date.now());
    const timer = setTimeout(
      () => req.destroy(new Error(`${url.href} did not answer within ${Math.round(ms)} ms`)),
      ms,
    );
    try {
      req = (https ? httpsRequest : httpRequest)(
        url,
        { method: 'POST', headers, agent: https ? agents.https : agents.http },
        (res) => {
          const location = res.headers.location;
          answered = { status: res.statusCode ?? 0, ...(location ? { location } : {}) };
          res.on('end', () => settle(undefined));
          // The status decides; a body cut short after it does not change the answer.
          res.on('error', () => settle(undefined));
          res.on('close', () => settle(undefined));
          res.resume();
        },
      );
    } catch (error) {
      // An invalid header name or value (from channel.header): retried like any failure.
      clearTimeout(timer);
      reject(error);
      return;
    }
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return settle(undefined);
      if (req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE'))
        Object.assign(error, { staleConnection: true });
      settle(error);
    });
    req.end(payload);
  });
}
