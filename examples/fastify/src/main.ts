import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 8080);
const app = await createApp({ dataDir: process.env.DATA_DIR ?? './.data', logger: true });
await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
