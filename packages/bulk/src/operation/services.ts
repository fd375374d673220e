import type { OperationHandler } from '@fhirstream/core';

/**
 * What an operation handler is given besides its request (core's
 * `OperationServices`, derived here until core exports the type).
 */
export type OperationServices = Parameters<OperationHandler['handle']>[2];
