import { FhirError } from '@fhirstream/core';
import type { NotificationType } from '../backport.js';
import type { ParsedSubscription } from '../parse-subscription.js';
import type { SubscriptionChannel } from './types.js';

/** Message headers of a notification: content type, subscription id, notification type, then `channel.header`. */
export function notificationHeaders(sub: ParsedSubscription, type: NotificationType): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': sub.payloadMime ?? 'application/fhir+json',
    'fhir-subscription': sub.id,
    'fhir-notification-type': type,
  };
  for (const h of sub.headers) {
    const i = h.indexOf(':');
    if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return headers;
}

/** A 400 about `Subscription.channel.endpoint`. */
export function invalidEndpoint(message: string): FhirError {
  return new FhirError('invalid', message, { expression: ['Subscription.channel.endpoint'] });
}

/** Settle `promise` or reject after `ms` with `message`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A `validate` for `createFhirServer` that runs the engine's Subscription
 * validation, then the `validate` hook of the subscription's channel, so a
 * Subscription a channel cannot serve (e.g. an MQTT wildcard topic) is
 * refused with 400 when it is written.
 *
 * @example
 * ```ts
 * const mqtt = mqttChannel({ url: 'mqtt://broker:1883' });
 * const subs = createSubscriptionEngine({ store, baseUrl, channels: [mqtt] });
 * const server = await createFhirServer({ store, operations: subs.operations,
 *   validate: subscriptionValidator(subs, [mqtt]) });
 * ```
 */
export function subscriptionValidator(
  engine: {
    validator(
      base?: (resource: unknown, expectedType?: string) => void,
    ): (resource: unknown, expectedType?: string) => void;
    validateSubscription(resource: unknown): ParsedSubscription;
  },
  channels: readonly SubscriptionChannel[],
  base?: (resource: unknown, expectedType?: string) => void,
): (resource: unknown, expectedType?: string) => void {
  const validate = engine.validator(base);
  const byType = new Map(channels.map((c) => [c.type, c]));
  return (resource, expectedType) => {
    validate(resource, expectedType);
    if ((resource as { resourceType?: unknown })?.resourceType !== 'Subscription') return;
    const sub = engine.validateSubscription(resource);
    byType.get(sub.channelType)?.validate?.(sub);
  };
}
