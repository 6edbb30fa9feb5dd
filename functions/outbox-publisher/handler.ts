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
import { NAMESPACE_SUBSCRIPTION_CHANGED, isHistoryKey, namespaceChangedDetail } from '../../shared/lifecycle/outbox.js';

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const outgoing: OutgoingEvent[] = [];
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image || !isHistoryKey(image.sk?.S)) continue;
    const entry = unmarshall(image as Record<string, AttributeValue>);
    outgoing.push({
      id: record.dynamodb!.SequenceNumber!,
      detailType: NAMESPACE_SUBSCRIPTION_CHANGED,
      detail: namespaceChangedDetail(entry),
    });
  }
  const failed = await publish(outgoing);
  if (failed.length) logger.error('events not published; the stream will deliver them again', { failed: failed.length });
  else if (outgoing.length) logger.info('events published', { count: outgoing.length });
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
};
