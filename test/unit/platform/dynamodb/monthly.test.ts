import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { encodeKeyCursor } from '../../../../shared/platform/dynamodb/cursor.js';
import { InvalidCursorError } from '../../../../shared/platform/dynamodb/errors.js';
import { decodeMonthlyCursor, listMonthly, monthlyKey, queryMonthly } from '../../../../shared/platform/dynamodb/monthly.js';
import { STATE_TABLES, mockDocumentClient } from '../../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient(STATE_TABLES);
const sent = () => ddbMock.commandCalls(QueryCommand).map((call) => call.args[0].input);

const RECORDS = { table: 'state', prefix: 'CORR' } as const;
const RANGE = { from: '2026-01-20', to: '2026-03-05' };
const record = (appliedAt: string, eventId: string) => ({ ...monthlyKey(RECORDS, appliedAt, eventId), eventId, appliedAt, reason: 'other' });
const bounds = { ':lo': '2026-01-20T', ':hi': '2026-03-05T~' };
const monthQuery = (month: string, extra: Record<string, unknown> = {}) => ({
  TableName: 'state-table',
  KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
  ExpressionAttributeValues: { ':pk': `CORR#${month}`, ...bounds },
  ScanIndexForward: false,
  ...extra,
});

describe('Function: monthlyKey', () => {
  it("puts a record in its month's partition, sorted by time then event id", () => {
    expect(monthlyKey(RECORDS, '2026-03-02T10:00:00.000Z', 'c-1')).toEqual({ pk: 'CORR#2026-03', sk: '2026-03-02T10:00:00.000Z#c-1' });
  });
});

describe('Function: listMonthly', () => {
  it('queries the months of the range newest first until the page is full, answering records without their keys', async () => {
    // Prepare: March holds one record, February two, January one.
    const march = record('2026-03-01T00:00:00.000Z', 'c-3');
    const feb = [record('2026-02-20T00:00:00.000Z', 'c-2b'), record('2026-02-10T00:00:00.000Z', 'c-2a')];
    ddbMock.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CORR#2026-03', ...bounds } }).resolves({ Items: [march] });
    ddbMock.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CORR#2026-02', ...bounds } }).resolves({ Items: feb.slice(0, 1), LastEvaluatedKey: { pk: feb[0]!.pk, sk: feb[0]!.sk } });

    // Act
    const page = await listMonthly(RECORDS, RANGE, { limit: 2 });

    // Assess: March for up to 2, then February for the 1 left; the cursor is February's LastEvaluatedKey.
    expect(sent()).toEqual([monthQuery('2026-03', { Limit: 2 }), monthQuery('2026-02', { Limit: 1 })]);
    expect(page.items).toEqual([{ eventId: 'c-3', appliedAt: march.appliedAt, reason: 'other' }, { eventId: 'c-2b', appliedAt: feb[0]!.appliedAt, reason: 'other' }]);
    expect(page.nextCursor).toBe(encodeKeyCursor({ pk: feb[0]!.pk, sk: feb[0]!.sk }));
  });

  it('a page that fills as a month runs out points the cursor at its last record, so the next page goes on to older months', async () => {
    const march = [record('2026-03-02T00:00:00.000Z', 'c-4'), record('2026-03-01T00:00:00.000Z', 'c-3')];
    ddbMock.on(QueryCommand).resolves({ Items: march });

    const page = await listMonthly(RECORDS, RANGE, { limit: 2 });

    expect(sent()).toHaveLength(1);
    expect(page.nextCursor).toBe(encodeKeyCursor(monthlyKey(RECORDS, march[1]!.appliedAt, 'c-3')));
  });

  it('resumes at the cursor in its month, then reads the older months; the last page has no cursor', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    const cursor = encodeKeyCursor(monthlyKey(RECORDS, '2026-02-10T00:00:00.000Z', 'c-2a'))!;

    const page = await listMonthly(RECORDS, RANGE, { limit: 5, cursor });

    expect(sent()).toEqual([
      monthQuery('2026-02', { Limit: 5, ExclusiveStartKey: { pk: 'CORR#2026-02', sk: '2026-02-10T00:00:00.000Z#c-2a' } }),
      monthQuery('2026-01', { Limit: 5 }),
    ]);
    expect(page).toEqual({ items: [], nextCursor: null });
  });

  it('refuses a cursor of other records, another range or another month, and sends nothing', async () => {
    const forged = [
      encodeKeyCursor({ pk: 'REASSOC#2026-02', sk: '2026-02-10T00:00:00.000Z#x' })!,
      encodeKeyCursor({ pk: 'CORR#2025-12', sk: '2025-12-10T00:00:00.000Z#x' })!,
      encodeKeyCursor({ pk: 'CORR#2026-02', sk: '2026-01-25T00:00:00.000Z#x' })!,
      encodeKeyCursor({ pk: 'CORR#2026-03', sk: '2026-03-06T00:00:00.000Z#x' })!,
      'bogus',
    ];
    for (const cursor of forged) {
      await expect(listMonthly(RECORDS, RANGE, { limit: 5, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
      expect(() => decodeMonthlyCursor(RECORDS, cursor, RANGE)).toThrow(/same from and to/);
    }
    expect(sent()).toHaveLength(0);
  });
});

describe('Function: queryMonthly', () => {
  it('reads only the attributes asked for (reserved words by placeholder), every page of every month', async () => {
    ddbMock.on(QueryCommand).resolves({ Items: [] });
    ddbMock.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CORR#2026-02', ...bounds } }).resolvesOnce({ Items: [{ reason: 'other' }], LastEvaluatedKey: { pk: 'x', sk: 'y' } }).resolves({ Items: [{ reason: 'migration' }] });

    const items = await queryMonthly(RECORDS, RANGE, ['reason', 'appliedAt']);

    const projection = { ProjectionExpression: '#a0, #a1', ExpressionAttributeNames: { '#a0': 'reason', '#a1': 'appliedAt' } };
    expect(sent().map((input) => input.ExpressionAttributeValues?.[':pk'])).toEqual(['CORR#2026-03', 'CORR#2026-02', 'CORR#2026-02', 'CORR#2026-01']);
    expect(sent()[0]).toEqual(monthQuery('2026-03', projection));
    expect(items).toEqual([{ reason: 'other' }, { reason: 'migration' }]);
  });
});
