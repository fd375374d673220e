/**
 * @fhirstream/nats — the change-stream transport over NATS JetStream.
 *
 * @packageDocumentation
 */
export { NatsConsumerWorker } from './nats-consumer.js';
export { type NatsTransport, type NatsTransportOptions, openNatsTransport } from './nats-transport.js';
