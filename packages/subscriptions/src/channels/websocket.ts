import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SubscriptionChannel } from './types.js';

/** Called when a client binds: send it the handshakes, then let the backlog flow. */
export type BindListener = (socket: WebSocket, subscriptionIds: string[]) => Promise<void>;

/** Options of {@link WebSocketHub}. */
export interface WebSocketHubOptions {
  /** Lifetime of a binding token, in seconds (default 300). */
  tokenTtlSeconds?: number;
}

/**
 * The `websocket` channel and its server side: binding tokens (from
 * `$get-ws-binding-token`), the `bind-with-token <token>` message, and the
 * sockets bound to each subscription. Notifications are sent as the JSON of
 * the Bundle, one per text message. A subscription with no bound socket is
 * `unavailable`: its events wait, and are replayed (after the handshake)
 * when a client binds again.
 *
 * @example
 * ```ts
 * const server = http.createServer(toNodeHandler(handler));
 * engine.websocket.attach(server, '/fhir/$websocket');
 * ```
 */
export class WebSocketHub implements SubscriptionChannel {
  readonly type = 'websocket';
  readonly handshake = 'bind' as const;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #tokens = new Map<string, { ids: string[]; expires: number }>();
  readonly #bound = new Map<string, Set<WebSocket>>();
  readonly #ttl: number;
  onBind: BindListener | undefined;

  constructor(options: WebSocketHubOptions = {}) {
    this.#ttl = (options.tokenTtlSeconds ?? 300) * 1000;
    this.#wss.on('connection', (socket) => this.#accept(socket));
  }

  /** Issue a token for these subscriptions. */
  issueToken(subscriptionIds: string[]): { token: string; expiration: Date } {
    const now = Date.now();
    for (const [t, v] of this.#tokens) if (v.expires < now) this.#tokens.delete(t);
    const token = randomBytes(24).toString('base64url');
    const expires = now + this.#ttl;
    this.#tokens.set(token, { ids: [...subscriptionIds], expires });
    return { token, expiration: new Date(expires) };
  }

  /** Number of sockets bound to a subscription. */
  boundCount(subscriptionId: string): number {
    return this.#bound.get(subscriptionId)?.size ?? 0;
  }

  /**
   * Take over an HTTP upgrade (call from a node:http `upgrade` listener).
   *
   * @example
   * ```ts
   * server.on('upgrade', (req, socket, head) => {
   *   if (req.url?.startsWith('/fhir/$websocket')) hub.handleUpgrade(req, socket, head);
   * });
   * ```
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req));
  }

  /** Listen for upgrades to `path` on a node:http server; returns a function that detaches. */
  attach(server: Server, path: string): () => void {
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const pathname = (req.url ?? '').split('?')[0];
      if (pathname === path) this.handleUpgrade(req, socket, head);
    };
    server.on('upgrade', listener);
    return () => server.off('upgrade', listener);
  }

  #accept(socket: WebSocket): void {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString().trim();
      const m = /^bind-with-token:?\s+(\S+)$/.exec(text);
      if (!m) {
        socket.send(
          JSON.stringify(outcome('invalid', `Unknown message; expected "bind-with-token <token>"`)),
        );
        return;
      }
      const entry = this.#tokens.get(m[1]!);
      if (!entry || entry.expires < Date.now()) {
        socket.send(JSON.stringify(outcome('security', 'Invalid or expired token')));
        socket.close(4001, 'invalid token');
        return;
      }
      for (const id of entry.ids) {
        const set = this.#bound.get(id) ?? new Set<WebSocket>();
        this.#bound.set(id, set);
        set.add(socket);
      }
      void this.onBind?.(socket, entry.ids).catch(() => socket.close(1011, 'bind failed'));
    });
    socket.on('close', () => {
      for (const [id, set] of this.#bound) {
        set.delete(socket);
        if (set.size === 0) this.#bound.delete(id);
      }
    });
    socket.on('error', () => socket.terminate());
  }

  async send(sub: { id: string }, bundle: unknown): Promise<'sent' | 'unavailable'> {
    const sockets = [...(this.#bound.get(sub.id) ?? [])].filter((s) => s.readyState === s.OPEN);
    if (sockets.length === 0) return 'unavailable';
    const text = JSON.stringify(bundle);
    const results = await Promise.allSettled(sockets.map((s) => sendText(s, text)));
    if (results.every((r) => r.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason;
    return 'sent';
  }

  /** Send one text message to one socket. */
  sendTo(socket: WebSocket, value: unknown): Promise<void> {
    return sendText(socket, JSON.stringify(value));
  }

  async close(): Promise<void> {
    for (const s of this.#wss.clients) s.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}

function sendText(socket: WebSocket, text: string): Promise<void> {
  return new Promise((resolve, reject) => socket.send(text, (error) => (error ? reject(error) : resolve())));
}

function outcome(code: string, diagnostics: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}
