/**
 * What a state write needs from its read travels explicitly: `changedOn` comes back with the state
 * from every read and goes into commitCommand as an input, so a copy of the state (an object
 * spread, a state rebuilt from JSON) writes the same `changedOn` as the object that was read.
 */
import { BatchGetCommand, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { PointerCopyRefusedError, SubscriptionTakenError, commitCommand, getPointer, readForCommand, readLogSlice, readState } from '../../../shared/lifecycle/store.js';
import { ConcurrentUpdateError } from '../../../shared/platform/dynamodb/errors.js';
import type { CommandWrite } from '../../../shared/lifecycle/store.js';
import { emptyState } from '../../../shared/lifecycle/domain/rules.js';
import type { FoldState, NamespaceState } from '../../../shared/lifecycle/domain/types.js';
import { STATE_TABLES, mockDocumentClient, transactionCanceled } from '../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient(STATE_TABLES);

const held: FoldState = {
  ...emptyState(42),
  subscriptionId: 'S-1',
  planCode: 'premium',
  paidPlanCode: 'premium',
  seats: 10,
  startDate: '2026-01-01',
  endDate: '2027-01-01',
  status: 'active',
  version: 4,
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const item = { pk: 'NS#42', sk: 'STATE', ...held, changedOn: '2026-01-01' };

/** A seat-usage write that keeps the association: changedOn must stay what was read. */
const write = (before: NamespaceState | null, changedOn: string | null): CommandWrite => {
  const after: FoldState = { ...held, ...before, seatsInUse: 7, version: (before?.version ?? 0) + 1, updatedAt: '2026-05-01T00:00:01.000Z' };
  return {
    before,
    changedOn,
    after,
    log: { lastKey: '2026-05-01T00:00:00.000Z#5#2026-05-01T00:00:00.000Z#u-1', baseKey: null },
    entry: { key: '2026-05-01T00:00:00.000Z#5#2026-05-01T00:00:00.000Z#u-1', command: null, state: after, rejection: null },
    rewritten: [],
    history: { namespaceId: 42, version: after.version, eventId: 'u-1', type: 'seatUsageReported', actor: 'test', subscriptionId: 'S-1', before, after, occurredAt: '2026-05-01T00:00:00Z', appliedAt: '2026-05-01T00:00:01.000Z' },
    idempotency: { eventId: 'u-1', requestHash: 'h', commandType: 'seatUsageReported', namespaceId: 42, result: after, appliedAt: '2026-05-01T00:00:01.000Z', expiresAt: 1 },
  };
};

const writtenChangedOn = (call = 0) => ddbMock.commandCalls(TransactWriteCommand)[call]!.args[0].input.TransactItems![0]!.Put!.Item!.changedOn;

describe('Function: readForCommand', () => {
  it('answers the state item\'s changedOn beside the state, not inside it', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [item], 'idem-table': [] } });
    const set = await readForCommand({ eventId: 'u-1', namespaceId: 42 });
    expect(set.changedOn).toBe('2026-01-01');
    expect(set.state).toEqual(held);
    expect(set.state).not.toHaveProperty('changedOn');
  });

  it('answers null when the state was never stored, or stored before changedOn existed', async () => {
    ddbMock.on(BatchGetCommand).resolvesOnce({ Responses: {} }).resolvesOnce({ Responses: { 'state-table': [{ ...item, changedOn: undefined }] } });
    expect((await readForCommand({ eventId: 'u-1', namespaceId: 42 })).changedOn).toBeNull();
    expect((await readForCommand({ eventId: 'u-1', namespaceId: 42 })).changedOn).toBeNull();
  });
});

describe('Function: readState', () => {
  it('answers the state with its changedOn', async () => {
    ddbMock.on(GetCommand).resolves({ Item: item });
    expect(await readState(42)).toEqual({ state: held, changedOn: '2026-01-01', log: { lastKey: null, baseKey: null }, upgradeBase: null });
  });
});

describe('Function: commitCommand (changedOn)', () => {
  it('writes the changedOn it is given for a copied state (object spread), as for the state read', async () => {
    // Prepare
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [item], 'idem-table': [] } });
    ddbMock.on(TransactWriteCommand).resolves({});
    const set = await readForCommand({ eventId: 'u-1', namespaceId: 42 });

    // Act: the state read, a spread copy of it, and a copy through JSON
    await commitCommand(write(set.state, set.changedOn));
    await commitCommand(write({ ...set.state! }, set.changedOn));
    await commitCommand(write(JSON.parse(JSON.stringify(set.state)) as NamespaceState, set.changedOn));

    // Assess: the association stayed, so changedOn stays the one read
    expect([writtenChangedOn(0), writtenChangedOn(1), writtenChangedOn(2)]).toEqual(['2026-01-01', '2026-01-01', '2026-01-01']);
  });

  it('stamps the write date when the changedOn read is unknown, or when there was no state', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    await commitCommand(write({ ...held }, null));
    await commitCommand(write(null, '2026-01-01'));
    expect([writtenChangedOn(0), writtenChangedOn(1)]).toEqual(['2026-05-01', '2026-05-01']);
  });
});

describe('Function: readLogSlice', () => {
  const entry = (day: number) => ({ pk: 'NS#42', sk: `LOG#2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z#5#x#u-${day}`, command: { type: 'seatUsageReported' }, state: { ...held } });

  it('reads a small first page newest first and stops at the first entry before the place', async () => {
    ddbMock.on(QueryCommand).resolvesOnce({ Items: [entry(20), entry(19), entry(18), entry(17)], LastEvaluatedKey: { pk: 'NS#42', sk: entry(17).sk } });
    const slice = await readLogSlice(42, '2026-01-17T12:00:00.000Z#5#x#late', 90);
    expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddbMock.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({ ScanIndexForward: false, ConsistentRead: true, Limit: 8 });
    expect(slice.before?.key).toBe(entry(17).sk.slice(4));
    expect(slice.after.map((e) => e.key)).toEqual([entry(18), entry(19), entry(20)].map((e) => e.sk.slice(4)));
    expect([slice.at, slice.truncated]).toEqual([null, false]);
  });

  it('reads on in larger pages for a command later than that, and says when too many entries follow', async () => {
    const days = Array.from({ length: 12 }, (_, i) => entry(30 - i));
    ddbMock
      .on(QueryCommand)
      .resolvesOnce({ Items: days.slice(0, 8), LastEvaluatedKey: { pk: 'NS#42', sk: days[7]!.sk } })
      .resolvesOnce({ Items: days.slice(8) });
    const slice = await readLogSlice(42, '2026-01-01T00:00:00.000Z#5#x#late', 10);
    expect(ddbMock.commandCalls(QueryCommand).map((c) => c.args[0].input.Limit)).toEqual([8, 12]);
    expect(slice).toMatchObject({ before: null, truncated: true });
    expect(slice.after).toHaveLength(10);
  });
});

describe("Function: readForCommand (the pointer's copy)", () => {
  const { pk: _pk, sk: _sk, ...copy } = { ...item, fold: { termStartKey: null, previousTermKey: null, pendingTerm: null }, logLastKey: '2026-01-01T00:00:00.000Z#x', logBaseKey: null };
  const pointer = (stateCopy?: Record<string, unknown>) => ({ pk: 'SUB#S-1', sk: 'SUB', subscriptionId: 'S-1', namespaceId: 42, associatedAt: '2026-01-01T00:00:00.000Z', ...(stateCopy ? { stateCopy } : {}) });

  it('answers the copy as a state read, and the pointer without it', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [pointer(copy)], 'idem-table': [] } });
    const set = await readForCommand({ eventId: 'r-1', subscriptionId: 'S-1' });
    expect(set.pointer).toEqual({ subscriptionId: 'S-1', namespaceId: 42, associatedAt: '2026-01-01T00:00:00.000Z' });
    expect(set.copy).toEqual({ state: { ...held, fold: copy.fold }, changedOn: '2026-01-01', log: { lastKey: '2026-01-01T00:00:00.000Z#x', baseKey: null }, upgradeBase: null });
    // The state item was not asked for: the copy does not stand in for it here.
    expect(set.state).toBeNull();
  });

  it('answers no copy for a pointer written before copies, or one whose copy names another namespace', async () => {
    ddbMock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { 'state-table': [pointer()], 'idem-table': [] } })
      .resolvesOnce({ Responses: { 'state-table': [pointer({ ...copy, namespaceId: 41 })], 'idem-table': [] } });
    expect((await readForCommand({ eventId: 'r-1', subscriptionId: 'S-1' })).copy).toBeNull();
    expect((await readForCommand({ eventId: 'r-1', subscriptionId: 'S-1' })).copy).toBeNull();
  });

  it("answers which subscription's pointer the state item says carries its copy", async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [{ ...item, pointerCopy: 'S-1' }], 'idem-table': [] } });
    expect((await readForCommand({ eventId: 'u-1', namespaceId: 42 })).pointerCopy).toBe('S-1');
  });
});

describe('Function: getPointer', () => {
  it('answers the association without the copy the pointer carries', async () => {
    ddbMock.on(GetCommand).resolves({ Item: { pk: 'SUB#S-1', sk: 'SUB', subscriptionId: 'S-1', namespaceId: 42, associatedAt: '2026-01-01T00:00:00.000Z', stateCopy: { ...held } } });
    expect(await getPointer('S-1')).toEqual({ subscriptionId: 'S-1', namespaceId: 42, associatedAt: '2026-01-01T00:00:00.000Z' });
  });
});

describe('Function: commitCommand (the pointer)', () => {
  it('writes a new association with the copy of the state item it creates', async () => {
    ddbMock.on(TransactWriteCommand).resolves({});
    await commitCommand({ ...write(null, null), associate: { subscriptionId: 'S-1', namespaceId: 42, associatedAt: '2026-05-01T00:00:01.000Z' }, copyTo: 'S-1' });
    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items).toHaveLength(5);
    expect(items[0]!.Put!.Item).toMatchObject({ pointerCopy: 'S-1', version: 1 });
    expect(items[4]!.Put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk) OR namespaceId = :ns',
      Item: { pk: 'SUB#S-1', sk: 'SUB', namespaceId: 42, changedOn: '2026-05-01', stateCopy: expect.objectContaining({ version: 1, seatsInUse: 7, changedOn: '2026-05-01', logBaseKey: null }) },
    });
  });

  it('maps a failed pointer condition: taken for a new association; for a copy, refused alone or a lost race with the state', async () => {
    const failedAt = (...indexes: number[]) => transactionCanceled(...[0, 1, 2, 3, 4].map((i) => ({ Code: indexes.includes(i) ? 'ConditionalCheckFailed' : 'None' })));
    ddbMock.on(TransactWriteCommand).rejectsOnce(failedAt(4)).rejectsOnce(failedAt(4)).rejectsOnce(failedAt(0, 4));
    await expect(commitCommand({ ...write(null, null), associate: { subscriptionId: 'S-1', namespaceId: 42, associatedAt: '2026-05-01T00:00:01.000Z' } })).rejects.toBeInstanceOf(SubscriptionTakenError);
    await expect(commitCommand({ ...write({ ...held }, null), copyTo: 'S-1' })).rejects.toBeInstanceOf(PointerCopyRefusedError);
    await expect(commitCommand({ ...write({ ...held }, null), copyTo: 'S-1' })).rejects.toBeInstanceOf(ConcurrentUpdateError);
  });
});
