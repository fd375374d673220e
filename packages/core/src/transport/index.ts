export { createRelay, type Relay, type RelayError, type RelayOptions, type RelayStatus } from './relay.js';
export {
  type RemoteProjector,
  type RemoteProjectorOptions,
  type RemoteProjectorStatus,
  runRemoteProjector,
} from './remote-projector.js';
export { SeqWaiter } from './seq-waiter.js';
export {
  type ChangeConsumer,
  type ChangeHandler,
  type ChangeTransport,
  type ConsumeOptions,
  type DeliveryInfo,
  dedupeId,
  defaultRetryDelay,
} from './types.js';
export { changeEventFromJSON, decodeChangeEvent, encodeChangeEvent } from './wire.js';
