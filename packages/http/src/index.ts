/**
 * @fhirstream/http — the FHIR R4 REST API as a framework-free fetch handler,
 * with adapters for node:http / Express / Connect, Fastify and Hono, and an
 * in-process client for tests.
 *
 * @packageDocumentation
 */
export { type NodeHandler, toNodeHandler, writeResponse } from './adapters/node.js';
export type { FhirHttpCore, HttpExchange, HttpResult } from './exchange.js';
export { createFhirHttp } from './fhir-http.js';
export { createFhirHandler, type FetchHandler, type FhirHandlerOptions } from './handler.js';
export { type InProcessClient, inProcessClient } from './in-process.js';
export { type ParsedBody, readBody } from './request-body.js';
export { fhirHeaders, negotiate } from './request-headers.js';
