/**
 * The state table's stream:
 * - the outbox: every history entry of an applied change becomes one `Namespace Subscription
 *   Changed` event. Publishing from the stream, never from the request path, means no change is
 *   applied without its event and no event is published without its change;
 * - the log's housekeeping: when a state's log moves its floor (a new term starts, a move), the
 *   entries older than the previous term's start are deleted (shared/lifecycle/store.ts pruneLog).
 * A record whose publication or pruning failed is reported, so the stream delivers it again.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { publish } from '../../shared/platform/bus.js';
import type { OutgoingEvent } from '../../shared/platform/bus.js';
import { logger } from '../../shared/platform/log.js';
import { NAMESPACE_SUBSCRIPTION_CHANGED, floorOfItem, isHistoryKey, isPublished, namespaceChangedDetail } from '../../shared/lifecycle/outbox.js';
import { pruneLog } from '../../shared/lifecycle/store.js';

type Image = Record<string, AttributeValue>;

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const outgoing: OutgoingEvent[] = [];
  const failed: string[] = [];
  for (const record of event.Records) {
    const id = record.dynamodb!.SequenceNumber!;
    const image = record.dynamodb?.NewImage as Image | undefined;
    const sk = image?.sk?.S;
    if (record.eventName === 'INSERT' && image && isHistoryKey(sk)) {
      const entry = unmarshall(image);
      if (isPublished(entry)) outgoing.push({ id, detailType: NAMESPACE_SUBSCRIPTION_CHANGED, detail: namespaceChangedDetail(entry) });
    } else if (record.eventName === 'MODIFY' && image && sk === 'STATE') {
      const floor = floorOfItem(unmarshall(image));
      const previous = floorOfItem(record.dynamodb?.OldImage ? unmarshall(record.dynamodb.OldImage as Image) : undefined);
      if (floor === null || floor === previous) continue;
      const namespaceId = Number(image.namespaceId?.N);
      try {
        const pruned = await pruneLog(namespaceId, floor);
        logger.info('log pruned', { namespaceId, floorKey: floor, pruned });
      } catch (error) {
        logger.error('log not pruned; the stream will deliver it again', { namespaceId, error: error as Error });
        failed.push(id);
      }
    }
  }
  failed.push(...(await publish(outgoing)));
  if (failed.length) logger.error('records not handled; the stream will deliver them again', { failed: failed.length });
  else if (outgoing.length) logger.info('events published', { count: outgoing.length });
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
};
