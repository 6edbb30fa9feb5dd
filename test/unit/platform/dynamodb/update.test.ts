import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { ConditionFailedError, StoreError } from '../../../../shared/platform/dynamodb/errors.js';
import { updateIf } from '../../../../shared/platform/dynamodb/update.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
afterEach(() => ddbMock.reset());

const input = {
  TableName: 'errors',
  Key: { pk: 'ERR#1', sk: 'RECORD' },
  UpdateExpression: 'SET #status = :s',
  ConditionExpression: '#revision = :r',
  ExpressionAttributeNames: { '#status': 'status', '#revision': 'revision' },
  ExpressionAttributeValues: { ':s': 'resolved', ':r': 3 },
};

describe('Function: updateIf', () => {
  it('sends the update asking for the item written, and for the stored item should the condition fail', async () => {
    // Prepare
    ddbMock.on(UpdateCommand).resolves({ Attributes: { pk: 'ERR#1', status: 'resolved' } });

    // Act
    const written = await updateIf(input);

    // Assess
    expect(ddbMock.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
      { ...input, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
    ]);
    expect(written).toEqual({ pk: 'ERR#1', status: 'resolved' });
  });

  it('throws ConditionFailedError carrying the item as stored', async () => {
    ddbMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {}, Item: { pk: { S: 'ERR#1' }, revision: { N: '4' } } }));

    const error = await updateIf(input).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConditionFailedError);
    expect((error as ConditionFailedError).item).toEqual({ pk: 'ERR#1', revision: 4 });
  });

  it('throws ConditionFailedError without an item when there is none', async () => {
    ddbMock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    const error = (await updateIf(input).catch((e: unknown) => e)) as ConditionFailedError;
    expect(error.item).toBeUndefined();
  });

  it('keeps the ReturnValues the caller asks for, and reports the capacity', async () => {
    ddbMock.on(UpdateCommand).resolves({ ConsumedCapacity: { CapacityUnits: 1 } });
    const reported: unknown[] = [];

    await expect(updateIf({ ...input, ReturnValues: 'NONE' }, { onConsumedCapacity: (c) => reported.push(c) })).resolves.toEqual({});

    expect(ddbMock.commandCalls(UpdateCommand)[0]!.args[0].input).toMatchObject({ ReturnValues: 'NONE', ReturnConsumedCapacity: 'TOTAL' });
    expect(reported).toEqual([{ CapacityUnits: 1 }]);
  });

  it('wraps an unknown failure in a StoreError with its cause', async () => {
    const cause = new TypeError('boom');
    ddbMock.on(UpdateCommand).rejects(cause);
    const error = (await updateIf(input).catch((e: unknown) => e)) as StoreError;
    expect(error.constructor).toBe(StoreError);
    expect(error.cause).toBe(cause);
  });
});
