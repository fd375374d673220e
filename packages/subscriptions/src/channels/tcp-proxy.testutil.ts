/** Test helper: a TCP proxy in front of a broker that can drop its connections and go down (closed port). */

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Listen (again, on the same port). */
  up(): Promise<void>;
  /** Stop listening and cut every connection: the port is closed. */
  down(): Promise<void>;
  /** Cut every connection, keep listening (a connection loss). */
  drop(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const proxy: TcpProxy = {
    port: 0,
    async up() {
      if (server) return;
      const s = createServer((client) => {
        const upstream = tcpConnect(target.port, target.host);
        track(client);
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise<void>((resolve) => s.listen(proxy.port, '127.0.0.1', resolve));
      proxy.port = (s.address() as AddressInfo).port;
      server = s;
    },
    async down() {
      const s = server;
      server = undefined;
      proxy.drop();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    drop() {
      for (const s of sockets) s.destroy();
    },
    close: () => proxy.down(),
  };
  await proxy.up();
  return proxy;
}
