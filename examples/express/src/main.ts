import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 8080);
const { app, close } = await createApp({ dataDir: process.env.DATA_DIR ?? './.data' });
const server = app.listen(port, () => {
  console.log(`FHIR server on http://localhost:${port}/fhir (health: /health)`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => void close().then(() => process.exit(0)));
    server.closeAllConnections();
  });
}
