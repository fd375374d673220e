import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Bundle, BundleEntry, OperationOutcome, Resource } from './fhir-types.js';
import { describeBundles } from './rest-bundles.js';
import { describeCapabilities } from './rest-capabilities.js';
import { describeSearchAndConditionals } from './rest-conditional.js';
import { describeHistory } from './rest-history.js';
import { describeInstanceInteractions } from './rest-instance.js';
import { describeFormatsAndLimits } from './rest-limits.js';
import { describePatch } from './rest-patch.js';
import { describePreconditions } from './rest-preconditions.js';
import { describeValidation } from './rest-validation.js';

/** A Fhirstream app listening (or reachable in-process) for the REST suite. */
export interface Mounted {
  /** The FHIR base URL, e.g. `http://127.0.0.1:4711/fhir`. */
  baseUrl: string;
  /** Stop the app, close the store and delete its files. */
  close(): Promise<void>;
  /** How to send a request (default: the global `fetch`, over the network). */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
}

/** A response, read. */
export interface RestResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are probed freely
  body: T & Record<string, any>;
}

interface CallInit {
  method?: string;
  /** An object is sent as FHIR JSON; a string as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the groups of the REST suite share: the mount and small helpers on it. */
export interface RestSuite {
  /** The mount's name (e.g. `node:http`). */
  readonly name: string;
  readonly mounted: Mounted;
  call: ReturnType<typeof restClient>;
  createPatient(extra?: Record<string, unknown>): Promise<Resource & { id: string }>;
  /** The newest entry of the system history: moves with every write. */
  logHead(): Promise<string>;
  /** Mount a fresh app (for tests that need an empty store). */
  mount: () => Promise<Mounted>;
}

/** A small REST client on a mount: paths are relative to the FHIR base (or absolute URLs, e.g. `next` links). */
export function restClient(mounted: Mounted) {
  const send = mounted.fetch ?? ((url: string, init?: RequestInit) => fetch(url, init));
  return async function call<T = Record<string, unknown>>(
    path: string,
    init: CallInit = {},
  ): Promise<RestResult<T>> {
    const url = /^https?:/.test(path) ? path : `${mounted.baseUrl}/${path}`;
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined;
    if (typeof init.body === 'string') body = init.body;
    else if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/fhir+json';
    }
    const res = await send(url, {
      method: init.method ?? 'GET',
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed as RestResult<T>['body'] };
  };
}

export const SYS = 'http://fhirstream.test/id';
let counter = 0;
/** A value unique in this process, for identifiers and ids. */
export function uid(prefix = 'u'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function expectOutcome(res: RestResult, status: number): OperationOutcome {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  expect(res.body?.resourceType, res.text).toBe('OperationOutcome');
  expect((res.body as unknown as OperationOutcome).issue.length).toBeGreaterThan(0);
  return res.body as unknown as OperationOutcome;
}

export function expressions(outcome: OperationOutcome): string[] {
  return outcome.issue.flatMap((i) => i.expression ?? []);
}

/** A deterministic PRNG (mulberry32), so that a failing fuzz run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The shared REST conformance suite: every interaction of the FHIR R4 REST
 * API over a real LMDB store, through one framework mount. `mount` is called
 * once for the suite (and again by the tests that need an empty store).
 *
 * @example
 * ```ts
 * describeRestApi('node:http', mountNodeHttp);
 * ```
 */
export function describeRestApi(name: string, mount: () => Promise<Mounted>): void {
  describe(`FHIR REST API over ${name}`, () => {
    let mounted: Mounted;
    let call: ReturnType<typeof restClient>;

    beforeAll(async () => {
      mounted = await mount();
      call = restClient(mounted);
    });
    const suite: RestSuite = {
      name,
      get mounted() {
        return mounted;
      },
      call: (path, init) => call(path, init),
      createPatient: (extra) => createPatient(extra),
      logHead: () => logHead(),
      mount,
    };
    afterAll(async () => {
      await mounted?.close();
    });

    const createPatient = async (extra: Record<string, unknown> = {}) => {
      const res = await call<Resource>('Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', active: true, ...extra },
        headers: { prefer: 'return=representation' },
      });
      expect(res.status, res.text).toBe(201);
      return res.body as Resource & { id: string };
    };

    /** The newest entry of the system history: moves with every write. */
    const logHead = async () => {
      const res = await call<Bundle>('_history?_count=1');
      expect(res.status).toBe(200);
      const entry = res.body.entry?.[0] as BundleEntry | undefined;
      return entry ? `${entry.fullUrl} ${entry.response?.etag} ${entry.response?.lastModified}` : 'empty';
    };

    describeInstanceInteractions(suite);
    describeHistory(suite);
    describeCapabilities(suite);
    describeSearchAndConditionals(suite);
    describePatch(suite);
    describePreconditions(suite);
    describeBundles(suite);
    describeValidation(suite);
    describeFormatsAndLimits(suite);
  });
}
