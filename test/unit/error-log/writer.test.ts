import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import type { ErrorRecord } from '../../../shared/error-log/domain/record.js';
import { recordFailure } from '../../../shared/error-log/writer.js';
import type { WriterDeps } from '../../../shared/error-log/writer.js';
import { logger } from '../../../shared/platform/log.js';
import type { ErrorStore } from '../../../shared/error-log/store.js';
import type { NoiseRule } from '../../../shared/error-log/domain/noise-rules.js';

const rule = (id: string, match: NoiseRule['match'], expiresAt?: string): NoiseRule => ({ id, source: 'stored', version: 1, match, reason: 'test', ...(expiresAt ? { expiresAt } : {}) });

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), 'utf8')) as unknown;

/** The store as the writer uses it, in memory: enough to see what the writer asks of it. */
function fakeStore(outcome: 'created' | 'repeated' | 'reopened' | 'duplicate' | 'stale', notification: ErrorRecord['notification'] = 'pending') {
  const record = { id: 'err_x', code: 'renewal_not_processed', message: 'm', subject: 's', source: 'audit', occurrences: 1, changes: [], notification } as unknown as ErrorRecord;
  return {
    recordOccurrence: vi.fn(async () => ({ outcome, id: 'err_x' })),
    claimNotification: vi.fn(async () => (record.notification === 'pending' ? ((record.notification = 'sending'), { record, claimedAt: 't' }) : undefined)),
    finishNotification: vi.fn(async (_id: string, _at: string, state: ErrorRecord['notification']) => {
      record.notification = state;
    }),
  };
}

function deps(store: ReturnType<typeof fakeStore>, send = vi.fn(async () => 'sent' as const), noise: NoiseRule[] = [], counted: 'counted' | 'duplicate' = 'counted'): WriterDeps {
  return {
    store: store as unknown as ErrorStore,
    notifier: { send },
    noise: { rules: async () => noise, count: vi.fn(async () => counted) },
    adminBaseUrl: () => 'https://admin.example.com',
    log: logger,
    metrics: { noiseDropped: vi.fn(), recorded: vi.fn(), notificationFailed: vi.fn() },
  };
}

describe('Function: recordFailure', () => {
  it('stores a new failure, then announces it once', async () => {
    const store = fakeStore('created');
    const d = deps(store);
    expect(await recordFailure(fixture('audit-finding'), d)).toEqual({ outcome: 'created', id: 'err_x', notification: 'sent' });
    expect(store.recordOccurrence).toHaveBeenCalledOnce();
    expect(d.notifier.send).toHaveBeenCalledOnce();
    expect(store.recordOccurrence.mock.invocationCallOrder[0]).toBeLessThan(vi.mocked(d.notifier.send).mock.invocationCallOrder[0]!);
  });

  it('does not announce a repeat', async () => {
    const d = deps(fakeStore('repeated'));
    expect(await recordFailure(fixture('audit-finding'), d)).toEqual({ outcome: 'repeated', id: 'err_x' });
    expect(d.notifier.send).not.toHaveBeenCalled();
  });

  it('neither announces nor counts as logged an occurrence older than its resolved record (an old replay)', async () => {
    const store = fakeStore('stale');
    const d = deps(store);
    expect(await recordFailure(fixture('revenue-error-reported'), d)).toEqual({ outcome: 'stale', id: 'err_x' });
    expect(store.claimNotification).not.toHaveBeenCalled();
    expect(d.notifier.send).not.toHaveBeenCalled();
    expect(d.metrics.recorded).toHaveBeenCalledWith('stale', undefined);
  });

  it('drops what a noise rule matches before storing, counting it on the rule and as a metric', async () => {
    const store = fakeStore('created');
    const d = deps(store, undefined, [rule('audit-noise', { code: 'renewal_not_processed' })]);
    expect(await recordFailure(fixture('audit-finding'), d)).toEqual({ outcome: 'dropped', code: 'renewal_not_processed', ruleId: 'audit-noise' });
    expect(store.recordOccurrence).not.toHaveBeenCalled();
    expect(d.notifier.send).not.toHaveBeenCalled();
    expect(d.noise.count).toHaveBeenCalledWith('audit-noise', expect.any(String));
    expect(d.metrics.noiseDropped).toHaveBeenCalledWith('renewal_not_processed');
  });

  it('counts a redelivered silenced event on the rule only once (no second metric)', async () => {
    const d = deps(fakeStore('created'), undefined, [rule('audit-noise', { code: 'renewal_not_processed' })], 'duplicate');
    expect(await recordFailure(fixture('audit-finding'), d)).toMatchObject({ outcome: 'dropped' });
    expect(d.metrics.noiseDropped).not.toHaveBeenCalled();
  });

  it('stores what no rule matches, and what only an expired rule matches', async () => {
    const store = fakeStore('created');
    const d = deps(store, undefined, [rule('other', { code: 'trial_not_ended' }), rule('expired', { code: 'renewal_not_processed' }, '2020-01-01T00:00:00.000Z')]);
    expect(await recordFailure(fixture('audit-finding'), d)).toMatchObject({ outcome: 'created' });
    expect(d.noise.count).not.toHaveBeenCalled();
  });

  it('keeps the record and flags it when Slack fails, counting the failure', async () => {
    const store = fakeStore('created');
    const d = deps(store, vi.fn(async () => Promise.reject(new Error('Slack is down'))));
    expect(await recordFailure(fixture('lambda-failure'), d)).toMatchObject({ outcome: 'created', notification: 'failed' });
    expect(store.finishNotification).toHaveBeenCalledWith('err_x', 't', 'failed', 'Error: Slack is down');
    expect(d.metrics.notificationFailed).toHaveBeenCalledOnce();
  });

  it('finishes an announcement a crashed delivery left pending when the event comes again', async () => {
    const d = deps(fakeStore('duplicate', 'pending'));
    expect(await recordFailure(fixture('audit-finding'), d)).toMatchObject({ outcome: 'duplicate', notification: 'sent' });
    const done = deps(fakeStore('duplicate', 'sent'));
    expect(await recordFailure(fixture('audit-finding'), done)).toMatchObject({ outcome: 'duplicate', notification: 'not_claimed' });
    expect(done.notifier.send).not.toHaveBeenCalled();
  });

  it('rejects an event that is not a failure, storing nothing', async () => {
    const store = fakeStore('created');
    await expect(recordFailure({ id: '1', source: 'x', 'detail-type': 'y', time: 't', detail: {} }, deps(store))).rejects.toThrow(/does not take/);
    expect(store.recordOccurrence).not.toHaveBeenCalled();
  });
});
