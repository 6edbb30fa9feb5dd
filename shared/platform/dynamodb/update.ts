/**
 * A conditional UpdateItem that answers the item, Powertools' DynamoDBPersistenceLayer style: when
 * the condition does not hold, the item as it is comes back with the error
 * (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`), so the caller decides again without a read.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { capacityRequest, ddb } from './client.js';
import type { CallOptions } from './client.js';
import { translate } from './translate.js';

type Item = Record<string, unknown>;

/** An UpdateItem input with its condition: every write of the service is conditional. */
export type ConditionalUpdate = UpdateCommandInput & { ConditionExpression: string };

/**
 * Applies `input` if its condition holds and answers the item as written (`ReturnValues`, ALL_NEW
 * unless the input says otherwise; `{}` with NONE).
 *
 * @throws ConditionFailedError when the condition did not hold; its `item` is the stored item
 *   (undefined when there is none)
 *
 * @example
 * try {
 *   const record = await updateIf({ TableName, Key, UpdateExpression: 'SET #s = :s', ConditionExpression: '#revision = :r', ... });
 * } catch (error) {
 *   if (error instanceof ConditionFailedError) return decideAgain(error.item);
 *   throw error;
 * }
 */
export async function updateIf(input: ConditionalUpdate, options: CallOptions = {}): Promise<Item> {
  const client = options.client ?? ddb();
  const command = new UpdateCommand({
    ReturnValues: 'ALL_NEW',
    ...input,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    ...capacityRequest(options),
  });
  const out = await translate(() => client.send(command));
  options.onConsumedCapacity?.(out.ConsumedCapacity);
  return out.Attributes ?? {};
}
