import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  ConcurrentUpdateError,
  ConditionFailedError,
  StoreError,
  StoreUnavailableError,
} from '../../../../shared/platform/dynamodb/errors.js';
import { duplicateFrom, idempotencyPut } from '../../../../shared/platform/dynamodb/idempotency.js';
import type { StoredIdempotencyRecord } from '../../../../shared/platform/dynamodb/idempotency.js';
import { transactWrite } from '../../../../shared/platform/dynamodb/transaction.js';
import type { TransactItem } from '../../../../shared/platform/dynamodb/transaction.js';
import { STATE_TABLES, mockDocumentClient, transactionCanceled } from '../../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient(STATE_TABLES);

class DuplicateError extends StoreError {
  constructor(readonly record: StoredIdempotencyRecord<unknown>) {
    super('duplicate');
  }
}

const record: StoredIdempotencyRecord<unknown> = { eventId: 'evt-1', requestHash: 'h', commandType: 'x', namespaceId: 1, result: {}, appliedAt: '2026-01-01T00:00:00Z', expiresAt: 1 };
const items: TransactItem[] = [
  { Put: { TableName: 'state', Item: { pk: 'NS#1', sk: 'STATE', version: 2 }, ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': 1 } } },
  { Put: { TableName: 'idem', Item: record, ConditionExpression: 'attribute_not_exists(eventId)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
];
/** What a command store says a failed condition means: the duplicate first, else a lost race. */
const onConditionFailed = (failed: ConditionFailedError) => {
  const duplicate = duplicateFrom(failed.at(1));
  return duplicate ? new DuplicateError(duplicate) : new ConcurrentUpdateError('lost the race', { cause: failed });
};
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Error);

describe('Function: transactWrite', () => {
  it('sends the items in one TransactWriteItems', async () => {
    // Prepare
    ddbMock.on(TransactWriteCommand).resolves({});

    // Act
    await transactWrite(items, onConditionFailed);

    // Assess
    expect(ddbMock.commandCalls(TransactWriteCommand).map((call) => call.args[0].input)).toEqual([{ TransactItems: items }]);
  });

  it('answers the caller\'s error for a failed condition, with the stored item of that index', async () => {
    ddbMock.on(TransactWriteCommand).rejects(
      transactionCanceled({ Code: 'ConditionalCheckFailed' }, { Code: 'ConditionalCheckFailed', Item: { eventId: { S: 'evt-1' }, requestHash: { S: 'h' } } }),
    );

    const error = await failure(transactWrite(items, onConditionFailed));

    expect(error).toBeInstanceOf(DuplicateError);
    expect((error as DuplicateError).record).toEqual({ eventId: 'evt-1', requestHash: 'h' });
  });

  it('answers the caller\'s race error when another condition failed', async () => {
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled({ Code: 'ConditionalCheckFailed' }, { Code: 'None' }));
    const error = await failure(transactWrite(items, onConditionFailed));
    expect(error).toBeInstanceOf(ConcurrentUpdateError);
    expect((error!.cause as ConditionFailedError).failures).toEqual([{ index: 0, item: undefined }]);
  });

  it('answers ConditionFailedError, by index, when the caller gives no mapping', async () => {
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled({ Code: 'None' }, { Code: 'ConditionalCheckFailed' }));
    const error = (await failure(transactWrite(items))) as ConditionFailedError;
    expect(error).toBeInstanceOf(ConditionFailedError);
    expect(error.at(1)).toEqual({ index: 1, item: undefined });
    expect(error.at(0)).toBeUndefined();
  });

  it('maps a transaction conflict to ConcurrentUpdateError', async () => {
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled({ Code: 'TransactionConflict' }, { Code: 'None' }));
    expect(await failure(transactWrite(items, onConditionFailed))).toBeInstanceOf(ConcurrentUpdateError);
  });

  it('maps a cancellation for throttling to StoreUnavailableError (503 with Retry-After at the edge)', async () => {
    const cause = transactionCanceled({ Code: 'None' }, { Code: 'ThrottlingError' });
    ddbMock.on(TransactWriteCommand).rejects(cause);

    const error = await failure(transactWrite(items, onConditionFailed));

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ kind: 'unavailable', retryAfterSeconds: 2, cause });
  });

  it('maps a cancellation for an invalid item to an internal StoreError', async () => {
    ddbMock.on(TransactWriteCommand).rejects(transactionCanceled({ Code: 'ValidationError', Message: 'Item size has exceeded the maximum allowed size' }, { Code: 'None' }));

    const error = await failure(transactWrite(items, onConditionFailed));

    expect(error!.constructor).toBe(StoreError);
    expect(error).toMatchObject({ kind: 'internal', code: 'store_error' });
  });

  it('wraps an unknown SDK error in a StoreError with its cause', async () => {
    const cause = new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
    ddbMock.on(TransactWriteCommand).rejects(cause);

    const error = await failure(transactWrite(items, onConditionFailed));

    expect(error!.constructor).toBe(StoreError);
    expect(error!.cause).toBe(cause);
  });

  it('builds the idempotency put the transactions share', () => {
    expect(idempotencyPut(record)).toEqual({
      Put: { TableName: 'idem-table', Item: record, ConditionExpression: 'attribute_not_exists(eventId)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
    });
  });
});
