import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../shared/platform/errors.js';
import {
  ConcurrentUpdateError,
  ConditionFailedError,
  StoreError,
  StoreUnavailableError,
} from '../../../../shared/platform/dynamodb/errors.js';
import { toStoreError, translate } from '../../../../shared/platform/dynamodb/translate.js';
import { transactionCanceled } from '../../fixtures/dynamodb.js';

const $metadata = { httpStatusCode: 400 };

describe('Function: toStoreError', () => {
  it('passes an application error unchanged', () => {
    // Prepare
    const own = new InvalidInputError('bad', [{ field: 'x', message: 'invalid' }]);

    // Act & Assess
    expect(toStoreError(own)).toBe(own);
  });

  it('turns a failed condition into a ConditionFailedError carrying the stored item', () => {
    const error = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata, Item: { pk: { S: 'ERR#1' }, revision: { N: '3' } } });

    const translated = toStoreError(error);

    expect(translated).toBeInstanceOf(ConditionFailedError);
    expect((translated as ConditionFailedError).item).toEqual({ pk: 'ERR#1', revision: 3 });
    expect((translated as ConditionFailedError).failures).toEqual([{ index: 0, item: { pk: 'ERR#1', revision: 3 } }]);
    expect(translated.cause).toBe(error);
  });

  it('answers no item when the condition failed on an item that does not exist', () => {
    const translated = toStoreError(new ConditionalCheckFailedException({ message: 'x', $metadata, Item: {} })) as ConditionFailedError;
    expect(translated.item).toBeUndefined();
  });

  it('lets the caller say what a failed condition means, by item index', () => {
    const error = transactionCanceled({ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { eventId: { S: 'evt-1' } } });

    const translated = toStoreError(error, (failed) => (failed.at(1) ? new ConcurrentUpdateError(`lost at ${failed.at(1)!.item!.eventId}`) : undefined));

    expect(translated).toBeInstanceOf(ConcurrentUpdateError);
    expect(translated.message).toBe('lost at evt-1');
  });

  it('answers the ConditionFailedError itself when the caller says nothing', () => {
    const translated = toStoreError(transactionCanceled({ Code: 'ConditionalCheckFailed' }, { Code: 'None' }), () => undefined);
    expect(translated).toBeInstanceOf(ConditionFailedError);
    expect((translated as ConditionFailedError).failures).toEqual([{ index: 0, item: undefined }]);
    expect((translated as ConditionFailedError).kind).toBe('conflict');
  });

  it('decides on a failed condition before any other reason: retrying would only fail again', () => {
    const translated = toStoreError(transactionCanceled({ Code: 'ThrottlingError' }, { Code: 'ConditionalCheckFailed' }));
    expect(translated).toBeInstanceOf(ConditionFailedError);
  });

  it('maps a transaction conflict to ConcurrentUpdateError', () => {
    const translated = toStoreError(transactionCanceled({ Code: 'None' }, { Code: 'TransactionConflict' }));
    expect(translated).toBeInstanceOf(ConcurrentUpdateError);
    expect((translated as ConcurrentUpdateError).kind).toBe('conflict');
  });

  it.each(['ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded'])('maps a cancellation for %s to StoreUnavailableError', (code) => {
    const cause = transactionCanceled({ Code: code }, { Code: 'None' });

    const translated = toStoreError(cause);

    expect(translated).toBeInstanceOf(StoreUnavailableError);
    expect(translated).toMatchObject({ kind: 'unavailable', code: 'unavailable', retryAfterSeconds: 2 });
    expect(translated.cause).toBe(cause);
  });

  it.each(['ValidationError', 'ItemCollectionSizeLimitExceeded', 'SomethingNew'])('maps a cancellation for %s to an internal StoreError', (code) => {
    const cause = transactionCanceled({ Code: 'None' }, { Code: code });

    const translated = toStoreError(cause);

    expect(translated.constructor).toBe(StoreError);
    expect(translated).toMatchObject({ kind: 'internal', code: 'store_error', message: `transaction cancelled (0: None, 1: ${code})` });
    expect(translated.cause).toBe(cause);
  });

  it('maps an invalid item before a conflict: retrying cannot make it valid', () => {
    expect(toStoreError(transactionCanceled({ Code: 'TransactionConflict' }, { Code: 'ValidationError' })).constructor).toBe(StoreError);
  });

  it('maps a cancellation without reasons to StoreError', () => {
    expect(toStoreError(transactionCanceled()).constructor).toBe(StoreError);
  });

  it('maps a single write that met a transaction to ConcurrentUpdateError', () => {
    expect(toStoreError(new TransactionConflictException({ message: 'x', $metadata }))).toBeInstanceOf(ConcurrentUpdateError);
  });

  it('maps throttling and an unreachable database to StoreUnavailableError', () => {
    expect(toStoreError(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata }))).toBeInstanceOf(StoreUnavailableError);
    expect(toStoreError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(StoreUnavailableError);
  });

  it('wraps an unknown SDK error in a StoreError with the cause kept, never the raw error', () => {
    const cause = new ResourceNotFoundException({ message: 'Requested resource not found', $metadata });

    const translated = toStoreError(cause);

    expect(translated.constructor).toBe(StoreError);
    expect(translated).not.toBeInstanceOf(ResourceNotFoundException);
    expect(translated).toMatchObject({ kind: 'internal', message: 'DynamoDB call failed: ResourceNotFoundException: Requested resource not found' });
    expect(translated.cause).toBe(cause);
  });

  it('wraps anything else thrown in a StoreError', () => {
    const cause = new TypeError('x is undefined');
    const translated = toStoreError(cause);
    expect(translated.constructor).toBe(StoreError);
    expect(translated.cause).toBe(cause);
  });
});

describe('Function: translate', () => {
  it('answers what the call answers', async () => {
    await expect(translate(async () => 42)).resolves.toBe(42);
  });

  it('throws the translated error', async () => {
    await expect(translate(() => Promise.reject(transactionCanceled({ Code: 'ThrottlingError' })))).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
