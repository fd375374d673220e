import { ConfigError, describeConfig, loadConfig } from './config.js';
import { startRole } from './roles.js';

// `pnpm start`: the role, store and stream come from the environment (docs/deployment.md).
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`${error.message}\nSee docs/deployment.md for the environment variables.`);
  process.exit(2);
}

const running = await startRole(config).catch((error: unknown) => {
  console.error(`Fhirstream failed to start (${describeConfig(config)}):`, error);
  process.exit(1);
});
if (running.fhirUrl) {
  console.log(`Fhirstream FHIR R4 server listening at ${running.fhirUrl} (${describeConfig(config)})`);
} else {
  console.log(
    `Fhirstream projector worker ready, health at ${running.healthUrl} (${describeConfig(config)})`,
  );
}
console.log(`running: ${running.summary}`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  await running.close();
  console.log('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
