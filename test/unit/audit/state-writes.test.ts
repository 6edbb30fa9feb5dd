/**
 * What the state writers store for the audit (shared/lifecycle/store.ts commitCommand and
 * the reassociation store): the due attributes of the state written (PutItem replaces the item, so
 * an attribute no longer due is gone), and `changedOn` moving only with the association.
 */
import { BatchGetCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { executeCommand } from '../../../shared/lifecycle/execute.js';
import { emptyState } from '../../../shared/lifecycle/domain/rules.js';
import type { NamespaceState } from '../../../shared/lifecycle/domain/types.js';
import { STATE_TABLES, mockDocumentClient } from '../fixtures/dynamodb.js';

const ddbMock = mockDocumentClient(STATE_TABLES);

const stored: NamespaceState & { pk: string; sk: string; changedOn: string; renewalDue: string; dueShard: number } = {
  ...emptyState(42),
  pk: 'NS#42',
  sk: 'STATE',
  subscriptionId: 'S-1',
  planCode: 'premium',
  paidPlanCode: 'premium',
  seats: 10,
  startDate: '2026-01-01',
  endDate: '2027-01-01',
  autoRenew: true,
  nextReconciliationDate: '2026-09-01',
  status: 'active',
  version: 4,
  updatedAt: '2026-01-01T00:00:00.000Z',
  changedOn: '2026-01-01',
  renewalDue: '2027-01-01',
  dueShard: 2,
};

const writtenState = () => {
  const [call] = ddbMock.commandCalls(TransactWriteCommand);
  return call!.args[0].input.TransactItems![0]!.Put!.Item!;
};

describe('Function: commitCommand (audit attributes)', () => {
  it('keeps changedOn on a write that keeps the association, and adds what fell due', async () => {
    // Prepare
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [stored], 'idem-table': [] } });
    ddbMock.on(TransactWriteCommand).resolves({});

    // Act: 14 seats used on a 10-seat licence — 4 owed, settled at the reconciliation date
    await executeCommand(
      { type: 'seatUsageReported', eventId: 'u-1', occurredAt: '2026-05-01T00:00:00Z', namespaceId: 42, seatsInUse: 14, measuredAt: '2026-05-01T00:00:00Z' },
      { actor: 'test', now: () => new Date('2026-05-01T00:00:01Z') },
    );

    // Assess
    expect(writtenState()).toMatchObject({ changedOn: '2026-01-01', dueShard: 2, renewalDue: '2027-01-01', reconciliationDue: '2026-09-01', seatsOwed: 4 });
  });

  it('writes an expired state without any due attribute: it leaves every index', async () => {
    // Addressed by subscription: the pointer first, then the state it names.
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [{ pk: 'SUB#S-1', sk: 'SUB', subscriptionId: 'S-1', namespaceId: 42 }], 'idem-table': [] } });
    ddbMock.on(GetCommand).resolves({ Item: stored });
    ddbMock.on(TransactWriteCommand).resolves({});

    await executeCommand({ type: 'expired', eventId: 'x-1', occurredAt: '2027-01-01T00:00:00Z', subscriptionId: 'S-1', expiredOn: '2027-01-01' }, { actor: 'test', now: () => new Date('2027-01-01T00:00:01Z') });

    const item = writtenState();
    expect(Object.keys(item).filter((k) => k.endsWith('Due') || k === 'dueShard')).toEqual([]);
    expect(item.changedOn).toBe('2026-01-01');
  });

  it('stamps the write date on a new association: the state and its pointer', async () => {
    ddbMock.on(BatchGetCommand).resolves({ Responses: { 'state-table': [], 'idem-table': [] } });
    ddbMock.on(TransactWriteCommand).resolves({});

    await executeCommand(
      { type: 'created', eventId: 'c-1', occurredAt: '2026-06-01T00:00:00Z', subscriptionId: 'S-9', namespaceId: 9, planCode: 'premium', seats: 5, startDate: '2026-06-01', endDate: '2027-06-01', autoRenew: false },
      { actor: 'test', now: () => new Date('2026-06-02T08:00:00Z') },
    );

    const items = ddbMock.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items[0]!.Put!.Item).toMatchObject({ pk: 'NS#9', changedOn: '2026-06-02', dueShard: 1, expiryDue: '2027-06-01' });
    expect(items.find((i) => i.Put?.Item?.sk === 'SUB')!.Put!.Item).toMatchObject({ pk: 'SUB#S-9', sk: 'SUB', namespaceId: 9, changedOn: '2026-06-02' });
  });
});
