import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFhirServer, type FhirServerOptions, type ResourceStore } from '@fhirstream/core';
import { createFhirHandler, toNodeHandler } from '@fhirstream/http';

/** A listening HTTP server and how to stop it. */
export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** Listen on an ephemeral loopback port. */
export async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Fhirstream over node:http, FHIR base `/fhir`, on `store`. */
export async function listenFhirstream(
  store: ResourceStore,
  options: Omit<FhirServerOptions, 'store'> = {},
): Promise<Listening> {
  const fhir = await createFhirServer({ store, ...options });
  const handler = createFhirHandler(fhir, { basePath: '/fhir' });
  const listening = await listen(createServer(toNodeHandler(handler, { basePath: '/fhir' })));
  return {
    url: listening.url,
    async close() {
      await listening.close();
      await fhir.close();
    },
  };
}

/** A bare node:http server: `route` answers every request. */
export function listenBare(route: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  return listen(createServer(route));
}
