/**
 * The error log under concurrency, on DynamoDB Local: many writers of one fingerprint make one
 * record and lose no count; a redelivered event counts once; one announcement has one sender.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { fingerprintOf } from '../../shared/error-log/domain/sources.js';
import type { Occurrence } from '../../shared/error-log/domain/sources.js';
import { ErrorStore } from '../../shared/error-log/store.js';
import { startTestRuntime } from './helpers.js';

let runtime: Runtime;
let store: ErrorStore;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  runtime = await startTestRuntime();
  store = new ErrorStore();
});

afterAll(async () => {
  await runtime?.stop();
});

function occurrence(subject: string, occurrenceId = randomUUID()): Occurrence {
  const code = 'broken_association';
  return {
    occurrenceId,
    fingerprint: fingerprintOf(code, subject),
    code,
    subject,
    message: `${subject} and its namespace do not point at each other`,
    errorType: 'AuditFinding',
    source: 'audit',
    system: 'provisioning-service',
    integration: null,
    flow: 'reconciliation',
    subjectKind: null,
    backtrace: [],
    payload: { subject },
    occurredAt: new Date().toISOString(),
  };
}

describe('Class: ErrorStore', () => {
  describe('Method: recordOccurrence', () => {
    it('makes one record and counts all 20 occurrences when 20 writers race on one fingerprint', async () => {
      const subject = `subscription:race-${randomUUID()}`;
      const results = await Promise.all(Array.from({ length: 20 }, () => store.recordOccurrence(occurrence(subject))));
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'repeated')).toHaveLength(19);
      const record = await store.get(results[0]!.id);
      expect(record).toMatchObject({ occurrences: 20, status: 'open', subject });
      const listed = await store.list({ status: 'open', limit: 100 });
      expect(listed.items.filter((r) => r.subject === subject)).toHaveLength(1);
    });

    it('counts a redelivered event once, even when its deliveries race', async () => {
      const subject = `subscription:redelivered-${randomUUID()}`;
      const ids = Array.from({ length: 10 }, () => randomUUID());
      const results = await Promise.all([...ids, ...ids].map((id) => store.recordOccurrence(occurrence(subject, id))));
      expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(10);
      expect((await store.get(results[0]!.id))?.occurrences).toBe(10);
    });

    it('reopens a resolved record once when occurrences race after the resolution', async () => {
      const subject = `subscription:reopen-${randomUUID()}`;
      const { id } = await store.recordOccurrence(occurrence(subject));
      const record = (await store.get(id))!;
      await store.applyChanges(id, record.revision, { status: 'resolved' }, [{ at: new Date().toISOString(), actor: 'test', field: 'status', from: 'open', to: 'resolved' }]);
      const results = await Promise.all(Array.from({ length: 10 }, () => store.recordOccurrence(occurrence(subject))));
      expect(results.filter((r) => r.outcome === 'reopened')).toHaveLength(1);
      const after = (await store.get(id))!;
      expect(after).toMatchObject({ status: 'open', occurrences: 11 });
      expect(after.changes.filter((c) => c.to === 'open')).toHaveLength(1);
    });
  });

  describe('Method: claimNotification', () => {
    it('lets exactly one of many concurrent senders claim an announcement', async () => {
      const { id } = await store.recordOccurrence(occurrence(`subscription:claim-${randomUUID()}`));
      const claims = await Promise.all(Array.from({ length: 10 }, () => store.claimNotification(id, ['pending'])));
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('lets a sender take over a claim left stale by a crashed one', async () => {
      const { id } = await store.recordOccurrence(occurrence(`subscription:stale-${randomUUID()}`));
      const past = new Date(Date.now() - 10 * 60_000).toISOString();
      expect(await store.claimNotification(id, ['pending'], 5 * 60_000, past)).toBeDefined();
      expect(await store.claimNotification(id, ['pending'], 60 * 60_000)).toBeUndefined();
      const takeover = await store.claimNotification(id, ['failed'], 5 * 60_000);
      expect(takeover).toBeDefined();
      await store.finishNotification(id, takeover!.claimedAt, 'sent');
      expect((await store.get(id))?.notification).toBe('sent');
    });
  });

  describe('Method: applyChanges', () => {
    it('refuses a change made on a stale revision', async () => {
      const { id } = await store.recordOccurrence(occurrence(`subscription:revision-${randomUUID()}`));
      const at = new Date().toISOString();
      await store.applyChanges(id, 0, { notes: 'first' }, [{ at, actor: 'a', field: 'notes', from: null, to: 'first' }]);
      await expect(store.applyChanges(id, 0, { notes: 'second' }, [{ at, actor: 'b', field: 'notes', from: null, to: 'second' }])).rejects.toThrow(/changed while/);
      expect((await store.get(id))?.notes).toBe('first');
    });
  });
});

describe('Function: resolveFinding', () => {
  it('resolves the record of a finding that no longer holds, along the workflow, once', async () => {
    const { resolveFinding } = await import('../../shared/error-log/workflow.js');
    const subject = `subscription:gone-${randomUUID()}`;
    const { id } = await store.recordOccurrence(occurrence(subject));
    const record = (await store.get(id))!;
    await store.applyChanges(id, record.revision, { status: 'needs_attention' }, [{ at: new Date().toISOString(), actor: 'op', field: 'status', from: 'open', to: 'needs_attention' }]);
    expect(await resolveFinding(store, 'broken_association', subject, 'job:reconciliation-audit', 'no longer holds')).toBe('resolved');
    expect((await store.get(id))!.changes.slice(-2).map((c) => `${c.from}->${c.to}`)).toEqual(['needs_attention->in_progress', 'in_progress->resolved']);
    expect(await resolveFinding(store, 'broken_association', subject, 'job:reconciliation-audit', 'no longer holds')).toBe('already_resolved');
    expect(await resolveFinding(store, 'broken_association', 'subscription:never-seen', 'job:reconciliation-audit', 'x')).toBe('skipped');
  });
});
