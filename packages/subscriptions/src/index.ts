/**
 * @fhirstream/subscriptions — FHIR R4 subscriptions as a projector: R4
 * criteria and Subscriptions R5 Backport (STU 1.1) topics; rest-hook,
 * websocket, message-broker, MQTT and AMQP channels; durable, gap-free event numbering
 * with `$status` and `$events` for recovery.
 *
 * @packageDocumentation
 */
export {
  BACKPORT,
  type NotificationType,
  type PayloadContent,
  RESOURCE_CHANGE_TOPIC,
  type SubscriptionStatusCode,
} from './backport.js';
export {
  addSubscriptionCapabilities,
  type CapabilityStatementLike,
  withCapabilities,
} from './capabilities.js';
export {
  type AmqpChannel,
  type AmqpChannelOptions,
  amqpChannel,
} from './channels/amqp.js';
export { type BrokerChannelOptions, brokerChannel, type MessageBroker } from './channels/broker.js';
export { subscriptionValidator } from './channels/common.js';
export {
  FHIRSTREAM_CHANNEL_TYPE_SYSTEM,
  type MqttChannel,
  type MqttChannelOptions,
  mqttChannel,
} from './channels/mqtt.js';
export { type RestHookOptions, restHookChannel } from './channels/rest-hook.js';
export type { SubscriptionChannel } from './channels/types.js';
export { type BindListener, WebSocketHub, type WebSocketHubOptions } from './channels/websocket.js';
export { type CompiledFilter, matchesFilter, parseCriteria, ResourceValues } from './criteria.js';
export {
  createSubscriptionEngine,
  type SubscriptionEngine,
  type SubscriptionEngineOptions,
  type SubscriptionState,
} from './engine.js';
export type { Bundle, BundleEntry, ParametersResource, SubscriptionResource } from './fhir-types.js';
export { compileTopicCriteria } from './fhirpath-engine.js';
export { type DeliveryState, type NumberingState, SubscriptionLedger } from './ledger.js';
export type { MatchStats } from './matcher.js';
export { type NumberedEvent, notificationBundle, statusBundle, statusParameters } from './notification.js';
export { type ParsedSubscription, parseSubscription } from './parse-subscription.js';
export { SubscriptionIndex } from './subscription-index.js';
export {
  builtInTopics,
  type CompiledTopic,
  compileTopic,
  encounterStartTopic,
  newLabResultTopic,
  resourceChangeTopic,
  type TopicDefinition,
  type TopicFilter,
  TopicRegistry,
  type TopicTrigger,
  topicFromResource,
} from './topics.js';
