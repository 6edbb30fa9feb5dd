/**
 * The outbox: every history entry written to the state table (one per applied change) becomes one
 * `Namespace Subscription Changed` event. Publishing from the stream, never from the request path,
 * means no change is applied without its event and no event is published without its change.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { publish } from '../../shared/platform/bus.js';
import type { OutgoingEvent } from '../../shared/platform/bus.js';
import { logger } from '../../shared/platform/log.js';
import type { NamespaceSubscriptionChanged } from '../../shared/platform/failure-events.js';

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const outgoing: OutgoingEvent[] = [];
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image || !image.sk?.S?.startsWith('HIST#')) continue;
    const entry = unmarshall(image as Record<string, AttributeValue>);
    outgoing.push({
      id: record.dynamodb!.SequenceNumber!,
      detailType: 'Namespace Subscription Changed',
      detail: namespaceChangedDetail(entry),
    });
  }
  const failed = await publish(outgoing);
  if (failed.length) logger.error('events not published; the stream will deliver them again', { failed: failed.length });
  else if (outgoing.length) logger.info('events published', { count: outgoing.length });
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
};

/** The detail of `Namespace Subscription Changed`, from a history entry as stored. */
export function namespaceChangedDetail(entry: Record<string, unknown>): NamespaceSubscriptionChanged {
  return {
    namespaceId: entry.namespaceId as number,
    version: entry.version as number,
    eventId: entry.eventId as string,
    type: entry.type as string,
    actor: entry.actor as string,
    subscriptionId: (entry.subscriptionId as string | null) ?? null,
    before: (entry.before as Record<string, unknown> | null) ?? null,
    after: entry.after as Record<string, unknown>,
    occurredAt: entry.occurredAt as string,
    appliedAt: entry.appliedAt as string,
  };
}
