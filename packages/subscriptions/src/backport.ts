/**
 * Canonical URLs and codes of the Subscriptions R5 Backport IG (STU 1.1,
 * `hl7.fhir.uv.subscriptions-backport#1.1.0`) as used on FHIR R4.
 */

const SD = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

/** Extension and profile URLs of the Backport IG. */
export const BACKPORT = {
  /** On `Subscription.criteria` (`_criteria.extension`): a filter `Type?param=value`; repeated extensions are ANDed. */
  filterCriteria: `${SD}/backport-filter-criteria`,
  /** On `Subscription.channel.payload` (`_payload.extension`): `empty` | `id-only` | `full-resource`. */
  payloadContent: `${SD}/backport-payload-content`,
  /** On `Subscription.channel`: heartbeat period in seconds (valueUnsignedInt). */
  heartbeatPeriod: `${SD}/backport-heartbeat-period`,
  /** On `Subscription.channel`: endpoint timeout in seconds (valueUnsignedInt). */
  timeout: `${SD}/backport-timeout`,
  /** On `Subscription.channel`: maximum events per notification (valuePositiveInt). */
  maxCount: `${SD}/backport-max-count`,
  /** On `Subscription.channel.type` (`_type.extension`): a custom channel type (valueCoding). */
  channelType: `${SD}/backport-channel-type`,
  /** On the CapabilityStatement's `Subscription` resource: a supported topic (valueCanonical). */
  topicCanonical: `${SD}/capabilitystatement-subscriptiontopic-canonical`,
  /** Profiles. */
  subscriptionProfile: `${SD}/backport-subscription`,
  notificationProfile: `${SD}/backport-subscription-notification-r4`,
  statusProfile: `${SD}/backport-subscription-status-r4`,
  /** The CapabilityStatement a backport server instantiates. */
  serverCapabilityStatement:
    'http://hl7.org/fhir/uv/subscriptions-backport/CapabilityStatement/backport-subscription-server-r4',
  /** The system of backport-specific notification types and channel types. */
  notificationTypeSystem:
    'http://hl7.org/fhir/uv/subscriptions-backport/CodeSystem/backport-notification-type',
} as const;

/** Payload content levels (`backport-payload-content`). */
export type PayloadContent = 'empty' | 'id-only' | 'full-resource';

/** Notification types of the SubscriptionStatus `type` parameter. */
export type NotificationType =
  | 'handshake'
  | 'heartbeat'
  | 'event-notification'
  | 'query-status'
  | 'query-event';

/** Subscription status codes (R4 `Subscription.status`). */
export type SubscriptionStatusCode = 'requested' | 'active' | 'error' | 'off';

/** The generic topic every Fhirstream server supports: create/update/delete of any resource. */
export const RESOURCE_CHANGE_TOPIC = 'https://fhirstream.dev/SubscriptionTopic/resource-change';
