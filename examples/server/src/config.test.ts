import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from './config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it("defaults to today's pnpm start: one process, LMDB in ./.data, no stream", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      role: 'all',
      store: { kind: 'lmdb', dataDir: './.data' },
      stream: undefined,
      projectors: undefined,
      host: '127.0.0.1',
      port: 8080,
      consistencyTimeoutMs: 10_000,
      maxProjectionLag: 10_000,
    });
    expect(describeConfig(config)).toBe('role all, store lmdb (./.data), no stream');
  });

  it('reads a projector worker on PostgreSQL and NATS; empty variables count as unset', () => {
    const config = loadConfig({
      FHIR_ROLE: 'projector',
      FHIR_STORE: 'postgres://fhir:secret@db:5432/fhir',
      FHIR_STORE_SCHEMA: 'clinic',
      FHIR_STREAM: 'nats://nats:4222',
      FHIR_STREAM_PREFIX: 'clinic',
      FHIR_PROJECTORS: 'search-index, change-ledger',
      FHIR_ACK_WAIT_MS: '5000',
      PORT: '',
      FHIR_WORKER_NAME: 'w1',
    });
    expect(config).toMatchObject({
      role: 'projector',
      store: { kind: 'postgres', url: 'postgres://fhir:secret@db:5432/fhir', schema: 'clinic' },
      stream: { kind: 'nats', url: 'nats://nats:4222', prefix: 'clinic', ackWaitMs: 5000 },
      projectors: ['search-index', 'change-ledger'],
      port: 8081,
      workerName: 'w1',
    });
    expect(describeConfig(config)).not.toContain('secret');
  });

  it('accepts redis streams', () => {
    const config = loadConfig({
      FHIR_STORE: 'postgresql://db/fhir',
      FHIR_STREAM: 'redis://cache:6379',
      FHIR_ROLE: 'api',
    });
    expect(config.stream?.kind).toBe('redis');
  });

  it('lists every bad value by its variable', () => {
    const problems = problemsOf({
      FHIR_ROLE: 'worker',
      FHIR_STORE: 'mysql://db',
      FHIR_STREAM: 'kafka://broker',
      PORT: '99999',
      FHIR_PROJECTORS: 'Search Index',
    });
    expect(problems.map((p) => p.split('=')[0])).toEqual(
      expect.arrayContaining(['FHIR_ROLE', 'FHIR_STORE', 'FHIR_STREAM', 'PORT', 'FHIR_PROJECTORS']),
    );
    expect(problems.find((p) => p.startsWith('FHIR_STORE'))).toContain("expected 'lmdb' or a PostgreSQL URL");
  });

  it('refuses roles without a stream, and LMDB shared between processes', () => {
    expect(problemsOf({ FHIR_ROLE: 'api', FHIR_STORE: 'postgres://db/fhir' })).toEqual([
      expect.stringContaining('FHIR_ROLE=api needs FHIR_STREAM'),
    ]);
    expect(problemsOf({ FHIR_ROLE: 'projector', FHIR_STREAM: 'nats://nats:4222' })).toEqual([
      expect.stringContaining('LMDB is single-host'),
    ]);
    expect(() => loadConfig({ FHIR_ROLE: 'api' })).toThrow(/FHIR_STREAM[\s\S]*LMDB is single-host/);
    // One LMDB process may still relay its log to a broker for consumers elsewhere.
    expect(loadConfig({ FHIR_STREAM: 'nats://nats:4222' }).role).toBe('all');
  });
});
