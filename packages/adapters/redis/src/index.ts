/**
 * @fhirstream/redis — the change-stream transport over Redis Streams.
 *
 * @packageDocumentation
 */
export type { RedisClientLike } from './redis-client.js';
export { RedisConsumerWorker, type RedisWorkerSettings } from './redis-consumer.js';
export { openRedisTransport, type RedisTransport, type RedisTransportOptions } from './redis-transport.js';
