import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler, writerDeps } from '../../../functions/error-log-writer/handler.js';
import type { ErrorStore } from '../../../shared/error-log/store.js';
import { logger } from '../../../shared/platform/log.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), 'utf8')) as unknown;

describe('Function: error-log-writer', () => {
  afterEach(() => writerDeps.reset());

  it('records each failure with the dependencies in place, created once for the process', async () => {
    const recordOccurrence = vi.fn(async () => ({ outcome: 'repeated' as const, id: 'err_x' }));
    const send = vi.fn(async () => 'sent' as const);
    writerDeps.use({
      store: { recordOccurrence } as unknown as ErrorStore,
      notifier: { send },
      noise: { rules: async () => [], count: vi.fn() },
      adminBaseUrl: () => undefined,
      log: logger,
      metrics: { noiseDropped: vi.fn(), recorded: vi.fn(), notificationFailed: vi.fn() },
    });
    expect(await handler(fixture('audit-finding'))).toEqual({ outcome: 'repeated', id: 'err_x' });
    expect(await handler(fixture('audit-finding'))).toEqual({ outcome: 'repeated', id: 'err_x' });
    expect(recordOccurrence).toHaveBeenCalledTimes(2);
    expect(send).not.toHaveBeenCalled();
  });

  it('creates its default dependencies when none were put in place', () => {
    const deps = writerDeps.get();
    expect(writerDeps.get()).toBe(deps);
    expect(Object.keys(deps).sort()).toEqual(['adminBaseUrl', 'log', 'metrics', 'noise', 'notifier', 'runbook', 'store']);
  });
});
