import type { StoreBackend } from '../store/backend.js';
import { createStore, type ResourceStore, type StoreOptions } from '../store/create-store.js';

/** A fresh, empty backend for one test, and how to reopen and dispose of it. */
export interface BackendFixture {
  backend: StoreBackend;
  /** Open the same data again after `backend.close()` (for persistence tests). */
  reopen?(): Promise<StoreBackend>;
  /** Remove what the fixture created (called after the backend is closed). */
  teardown?(): Promise<void>;
}

/** What a backend passes to the conformance suites. */
export interface ConformanceOptions {
  /** Shown in the test names, e.g. `lmdb`. */
  name: string;
  /** Make a fresh, empty backend. Called once per test. */
  setup(): Promise<BackendFixture>;
}

/** A store over a fresh fixture, closed and torn down by `dispose`. */
export async function openFixtureStore(
  options: ConformanceOptions,
  storeOptions: StoreOptions = {},
): Promise<{ store: ResourceStore; fixture: BackendFixture; dispose(): Promise<void> }> {
  const fixture = await options.setup();
  const store = createStore(fixture.backend, storeOptions);
  return {
    store,
    fixture,
    async dispose() {
      await store.close();
      await fixture.teardown?.();
    },
  };
}

/** Collect an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The FhirError code a promise rejects with (or 'resolved'). */
export async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}
