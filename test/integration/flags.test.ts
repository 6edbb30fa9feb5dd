import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { client, startTestRuntime } from './helpers.js';
import type { Client } from './helpers.js';

let runtime: Runtime;
let operator: Client;
let service: Client;

beforeAll(async () => {
  runtime = await startTestRuntime();
  operator = client(runtime, 'operator');
  service = client(runtime, 'service');
});

afterAll(async () => {
  await runtime?.stop();
});

describe('Feature flags over HTTP', () => {
  it('creates a flag with every gate off, changes gates one at a time, and keeps every change in its history', async () => {
    const created = await operator.call('PUT', '/v1/flags/rollout_one', {});
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'rollout_one', enabled: false, actors: [], percentageOfActors: 0, version: 1, updatedBy: 'local-operator' });

    const targeted = await operator.call('PUT', '/v1/flags/rollout_one', { actors: ['cust-1', 'cust-2'] });
    expect(targeted.status).toBe(200);
    const widened = await operator.call('PUT', '/v1/flags/rollout_one', { percentageOfActors: 12.5 });
    expect(widened.body).toMatchObject({ actors: ['cust-1', 'cust-2'], percentageOfActors: 12.5, enabled: false, version: 3 });
    const same = await operator.call('PUT', '/v1/flags/rollout_one', { percentageOfActors: 12.5 });
    expect(same).toMatchObject({ status: 200, body: { version: 3 } });

    const read = await operator.call('GET', '/v1/flags/rollout_one');
    expect(read.body).toEqual(widened.body);

    const history = await operator.call('GET', '/v1/flags/rollout_one/history');
    expect(history.status).toBe(200);
    expect(history.body.items.map((e: { version: number }) => e.version)).toEqual([3, 2, 1]);
    const [third, second, first] = history.body.items;
    expect(first).toMatchObject({ operator: 'local-operator', before: null, after: { enabled: false, actors: [], percentageOfActors: 0 } });
    expect(second).toMatchObject({ before: { actors: [] }, after: { actors: ['cust-1', 'cust-2'], percentageOfActors: 0 } });
    expect(third).toMatchObject({ before: { percentageOfActors: 0 }, after: { percentageOfActors: 12.5 } });
    expect(Date.parse(third.changedAt)).toBeGreaterThanOrEqual(Date.parse(first.changedAt));

    const page = await operator.call('GET', '/v1/flags/rollout_one/history?limit=2');
    expect(page.body.items).toHaveLength(2);
    const rest = await operator.call('GET', `/v1/flags/rollout_one/history?limit=2&cursor=${page.body.nextCursor}`);
    expect(rest.body.items.map((e: { version: number }) => e.version)).toEqual([1]);
  });

  it('lists every flag', async () => {
    await operator.call('PUT', '/v1/flags/listed_a', { enabled: true });
    await operator.call('PUT', '/v1/flags/listed_b', {});
    const list = await operator.call('GET', '/v1/flags');
    expect(list.status).toBe(200);
    const names = list.body.items.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(['listed_a', 'listed_b']));
    expect(list.body.items.find((f: { name: string }) => f.name === 'listed_a')).toMatchObject({ enabled: true, version: 1 });
  });

  it('applies a change only at the expected version', async () => {
    await operator.call('PUT', '/v1/flags/pinned', {});
    const stale = await operator.call('PUT', '/v1/flags/pinned', { enabled: true, expectedVersion: 0 });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'version_conflict', details: { version: 1, expectedVersion: 0 } });
    const ok = await operator.call('PUT', '/v1/flags/pinned', { enabled: true, expectedVersion: 1 });
    expect(ok).toMatchObject({ status: 200, body: { enabled: true, version: 2 } });
    const createOnly = await operator.call('PUT', '/v1/flags/created_once', { expectedVersion: 0 });
    expect(createOnly.status).toBe(201);
  });

  it('lets exactly one of several operators pinned to the same version win', async () => {
    await operator.call('PUT', '/v1/flags/contended', {});
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => operator.call('PUT', '/v1/flags/contended', { percentageOfActors: n, expectedVersion: 1 })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.error.code === 'version_conflict')).toHaveLength(3);
    const history = await operator.call('GET', '/v1/flags/contended/history');
    expect(history.body.items).toHaveLength(2);
  });

  it('applies concurrent unpinned changes one after another, each history entry starting where the previous ended', async () => {
    await operator.call('PUT', '/v1/flags/busy', {});
    const results = await Promise.all([10, 20, 30, 40, 50].map((p) => operator.call('PUT', '/v1/flags/busy', { percentageOfActors: p })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const history = await operator.call('GET', '/v1/flags/busy/history');
    const entries = [...history.body.items].reverse();
    expect(entries.map((e: { version: number }) => e.version)).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 1; i < entries.length; i++) expect(entries[i].before).toEqual(entries[i - 1].after);
    const final = await operator.call('GET', '/v1/flags/busy');
    expect(final.body.percentageOfActors).toBe(entries[5].after.percentageOfActors);
  });

  it('refuses invalid changes with 400, writing nothing', async () => {
    await operator.call('PUT', '/v1/flags/guarded', {});
    for (const body of [{ percentageOfActors: 101 }, { percentageOfActors: -0.5 }, { percentageOfActors: 2.0005 }, { actors: [''] }, { enabled: 1 }]) {
      const res = await operator.call('PUT', '/v1/flags/guarded', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await operator.call('PUT', '/v1/flags/Not-A-Name', {})).status).toBe(400);
    const history = await operator.call('GET', '/v1/flags/guarded/history');
    expect(history.body.items).toHaveLength(1);
  });

  it('answers 404 for a flag never created, and 403 to service callers', async () => {
    expect((await operator.call('GET', '/v1/flags/never_created')).status).toBe(404);
    expect((await operator.call('GET', '/v1/flags/never_created/history')).status).toBe(404);
    const forbidden = await service.call('PUT', '/v1/flags/rollout_one', { enabled: true });
    expect(forbidden.status).toBe(403);
    expect((await service.call('GET', '/v1/flags')).status).toBe(403);
    expect((await operator.call('GET', '/v1/flags', undefined, { token: null })).status).toBe(401);
  });
});
