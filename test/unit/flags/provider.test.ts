import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ErrorCode, OpenFeature, StandardResolutionReasons } from '@openfeature/server-sdk';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_TTL_SECONDS, DynamoDbFlagProvider, cacheTtlMsFromEnv, flagsTable, useFlagsTable } from '../../../shared/flags/provider.js';
import type { Flag } from '../../../shared/flags/domain.js';

const ddbMock = mockClient(DynamoDBDocumentClient);
const FLAG = 'account_data_persistence';

const item = (over: Record<string, unknown> = {}) => ({
  pk: 'FLAGS',
  sk: `FLAG#${FLAG}`,
  name: FLAG,
  enabled: false,
  actors: ['cust-7'],
  percentageOfActors: 4.807,
  version: 3,
  createdAt: '2026-05-01T10:00:00.000Z',
  updatedAt: '2026-05-01T10:00:00.000Z',
  updatedBy: 'op-1',
  ...over,
});

let clock = 1_000_000;
let provider: DynamoDbFlagProvider;

beforeAll(async () => {
  process.env.TABLE_FLAGS = 'flags-table';
  process.env.AWS_REGION = 'eu-west-1';
  provider = new DynamoDbFlagProvider({ cacheTtlMs: 30_000, now: () => clock });
  await OpenFeature.setProviderAndWait(provider);
});

afterAll(async () => {
  await OpenFeature.close();
});

afterEach(() => {
  ddbMock.reset();
  provider.clearCache();
});

const evaluate = (actor?: string) => OpenFeature.getClient().getBooleanDetails(FLAG, false, actor === undefined ? {} : { targetingKey: actor });

describe('Class: DynamoDbFlagProvider', () => {
  describe('Method: resolveBooleanEvaluation', () => {
    it('reads the flag with one consistent GetItem on its key', async () => {
      // Prepare
      ddbMock.on(GetCommand).resolves({ Item: item() });

      // Act
      const details = await evaluate('cust-7');

      // Assess
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 1);
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, { TableName: 'flags-table', Key: { pk: 'FLAGS', sk: `FLAG#${FLAG}` }, ConsistentRead: true });
      expect(details).toMatchObject({ value: true, variant: 'on', reason: StandardResolutionReasons.TARGETING_MATCH, flagMetadata: { version: 3, gate: 'actor', cached: false } });
    });

    it('evaluates the targetingKey as the actor through each gate', async () => {
      ddbMock.on(GetCommand).resolves({ Item: item() });
      // cust-1 is in bucket 4806, below 4.807 %; cust-2 in bucket 11132.
      expect(await evaluate('cust-1')).toMatchObject({ value: true, reason: StandardResolutionReasons.SPLIT });
      expect(await evaluate('cust-2')).toMatchObject({ value: false, variant: 'off', reason: StandardResolutionReasons.DEFAULT });
      expect(await evaluate()).toMatchObject({ value: false, reason: StandardResolutionReasons.DEFAULT });
    });

    it('answers STATIC for the boolean gate and DISABLED when every gate is off', async () => {
      ddbMock.on(GetCommand).resolvesOnce({ Item: item({ enabled: true }) });
      expect(await evaluate('anyone')).toMatchObject({ value: true, reason: StandardResolutionReasons.STATIC });
      provider.clearCache();
      ddbMock.on(GetCommand).resolves({ Item: item({ enabled: false, actors: [], percentageOfActors: 0 }) });
      expect(await evaluate('anyone')).toMatchObject({ value: false, reason: StandardResolutionReasons.DISABLED });
    });

    it('keeps a flag for the cache period, then reads it again (a rollback applies within it)', async () => {
      // Prepare: on for everyone, then rolled back.
      ddbMock.on(GetCommand).resolvesOnce({ Item: item({ enabled: true }) }).resolves({ Item: item({ enabled: false, actors: [], percentageOfActors: 0, version: 4 }) });

      // Act + Assess
      expect((await evaluate('cust-2')).value).toBe(true);
      clock += 29_999;
      expect(await evaluate('cust-2')).toMatchObject({ value: true, flagMetadata: { cached: true } });
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 1);
      clock += 1;
      expect(await evaluate('cust-2')).toMatchObject({ value: false, flagMetadata: { version: 4, cached: false } });
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 2);
    });

    it('shares one read among concurrent evaluations', async () => {
      ddbMock.on(GetCommand).resolves({ Item: item() });
      const results = await Promise.all(['cust-7', 'cust-1', 'cust-2'].map((a) => evaluate(a)));
      expect(results.map((r) => r.value)).toEqual([true, true, false]);
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 1);
    });

    it('answers the default with FLAG_NOT_FOUND for a flag never created, and caches that too', async () => {
      ddbMock.on(GetCommand).resolves({});
      const details = await OpenFeature.getClient().getBooleanDetails('never_created', true, { targetingKey: 'cust-1' });
      expect(details).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND, reason: StandardResolutionReasons.ERROR });
      await OpenFeature.getClient().getBooleanDetails('never_created', true, { targetingKey: 'cust-1' });
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 1);
    });

    it('answers GENERAL when the table cannot be read, and does not cache the failure', async () => {
      ddbMock.on(GetCommand).rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' })).resolves({ Item: item({ enabled: true }) });
      const failed = await evaluate('cust-1');
      expect(failed).toMatchObject({ value: false, errorCode: ErrorCode.GENERAL });
      expect(failed.errorMessage).toContain(FLAG);
      expect((await evaluate('cust-1')).value).toBe(true);
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 2);
    });
  });

  describe('Method: resolveStringEvaluation', () => {
    it('refuses a flag evaluated as another type', async () => {
      ddbMock.on(GetCommand).resolves({ Item: item() });
      const details = await OpenFeature.getClient().getStringDetails(FLAG, 'x', { targetingKey: 'cust-1' });
      expect(details).toMatchObject({ value: 'x', errorCode: ErrorCode.TYPE_MISMATCH });
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 0);
    });
  });
});

describe('Function: cacheTtlMsFromEnv', () => {
  it(`defaults to ${DEFAULT_CACHE_TTL_SECONDS} s and takes whole seconds from FLAGS_CACHE_TTL_SECONDS`, () => {
    expect(cacheTtlMsFromEnv({})).toBe(30_000);
    expect(cacheTtlMsFromEnv({ FLAGS_CACHE_TTL_SECONDS: '5' })).toBe(5_000);
    expect(cacheTtlMsFromEnv({ FLAGS_CACHE_TTL_SECONDS: '0' })).toBe(0);
    expect(cacheTtlMsFromEnv({ FLAGS_CACHE_TTL_SECONDS: '-1' })).toBe(30_000);
    expect(cacheTtlMsFromEnv({ FLAGS_CACHE_TTL_SECONDS: 'soon' })).toBe(30_000);
  });
});

describe('Function: useFlagsTable', () => {
  const flag = (enabled: boolean) => item({ enabled, actors: [], percentageOfActors: 0 }) as unknown as Flag;

  afterEach(async () => {
    flagsTable.reset();
    // The file's other tests evaluate through their own provider.
    await OpenFeature.setProviderAndWait(provider);
  });

  it('registers one provider for the process: later calls answer it and ignore their options', async () => {
    const first = useFlagsTable({ load: async () => flag(true), cacheTtlMs: 0 });
    expect(useFlagsTable({ load: async () => flag(false) })).toBe(first);
    expect(flagsTable.registered).toBe(first);
    expect((await evaluate('cust-1')).value).toBe(true);
  });

  it('registers a new provider, with its own options, after a reset', async () => {
    const first = useFlagsTable({ load: async () => flag(true), cacheTtlMs: 0 });
    flagsTable.reset();
    expect(flagsTable.registered).toBeUndefined();
    const second = useFlagsTable({ load: async () => flag(false), cacheTtlMs: 0 });
    expect(second).not.toBe(first);
    expect((await evaluate('cust-1')).value).toBe(false);
  });
});
