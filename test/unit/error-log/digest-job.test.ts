import { afterEach, describe, expect, it, vi } from 'vitest';
import { dailyDigest, digestDeps } from '../../../shared/error-log/digest-job.js';
import type { DigestDeps } from '../../../shared/error-log/digest-job.js';
import { GitLabNotConfiguredError } from '../../../shared/error-log/gitlab.js';
import type { ErrorStore } from '../../../shared/error-log/store.js';
import { logger } from '../../../shared/platform/log.js';

describe('Object: digestDeps', () => {
  afterEach(() => digestDeps.reset());

  it("is what a digest job's run uses: the store and tracker put in place", async () => {
    const store = { digestRecordsCreatedBetween: vi.fn(async () => []), digestRecordsWithStatus: vi.fn(async () => []) };
    const deps: DigestDeps = {
      store: store as unknown as ErrorStore,
      tracker: async () => Promise.reject(new GitLabNotConfiguredError('GitLab is not configured: set GITLAB_URL')),
      notifier: { send: vi.fn() },
      adminBaseUrl: () => undefined,
    };
    digestDeps.use(deps);
    const summary = await dailyDigest.run({ asOf: '2026-05-02', trigger: 'manual', actor: 'op-1', log: logger });
    expect(summary).toMatchObject({ job: 'daily-digest', period: '2026-05-01', status: 'skipped' });
    expect(store.digestRecordsCreatedBetween).toHaveBeenCalledOnce();
    expect(store.digestRecordsWithStatus).toHaveBeenCalledTimes(3);
  });

  it('creates the default dependencies once, at the first use', () => {
    const deps = digestDeps.get();
    expect(digestDeps.get()).toBe(deps);
    expect(Object.keys(deps).sort()).toEqual(['adminBaseUrl', 'notifier', 'runbook', 'runbookTitles', 'store', 'tracker']);
  });
});
