/**
 * A job's function serves its schedule and its operator route with the same job, and the jobs there
 * are (names, registry, manifest) agree: each has its own function with both triggers.
 */
import { describe, expect, it, vi } from 'vitest';
import { handler as unknownJob } from '../../../functions/jobs/handler.js';
import { JOB_NAMES, jobRunPath } from '../../../shared/jobs/names.js';
import type { Job, JobContext } from '../../../shared/jobs/job.js';
import { reconciliationAudit } from '../../../shared/audit/job.js';
import { dailyDigest, weeklyDigest } from '../../../shared/error-log/digest-job.js';
import { jobFunction } from '../../../shared/jobs/run.js';
import { latestAsOf } from '../../../shared/jobs/schemas.js';
import { functions } from '../../../shared/service/manifest.js';
import { apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';

function fakeJob() {
  const runs: Omit<JobContext, 'log'>[] = [];
  const job: Job = {
    name: 'daily-digest',
    description: 'test',
    run: vi.fn(async ({ asOf, trigger, actor }: JobContext) => (runs.push({ asOf, trigger, actor }), { job: 'daily-digest', asOf, status: 'created' })),
  };
  return { job, runs };
}

const scheduled = { id: 'evt-1', 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-03-02T06:00:00Z', resources: [], detail: {} };
const route = `POST ${jobRunPath('daily-digest')}`;

describe('Function: jobFunction', () => {
  it('runs the job for the day its schedule fired', async () => {
    const { job, runs } = fakeJob();
    await expect(jobFunction(job)(scheduled, lambdaContext)).resolves.toMatchObject({ status: 'created', asOf: '2026-03-02' });
    expect(runs).toEqual([{ asOf: '2026-03-02', trigger: 'schedule', actor: 'schedule' }]);
  });

  it("runs the job for an operator's asOf and answers its summary", async () => {
    const { job, runs } = fakeJob();
    const res = await jobFunction(job)(apiGatewayEvent(route, { caller: 'operator', body: { asOf: '2026-02-27' } }), lambdaContext);
    expect(res).toMatchObject({ statusCode: 200 });
    expect(JSON.parse((res as { body: string }).body)).toEqual({ job: 'daily-digest', asOf: '2026-02-27', status: 'created' });
    expect(runs).toEqual([{ asOf: '2026-02-27', trigger: 'manual', actor: 'operator-sub-1' }]);
  });

  it('runs it for today without a body', async () => {
    const { job, runs } = fakeJob();
    await jobFunction(job)(apiGatewayEvent(route, { caller: 'operator' }), lambdaContext);
    expect(runs[0]?.asOf).toBe(new Date().toISOString().slice(0, 10));
  });

  it('refuses service credentials, a bad asOf and any query parameter, running nothing', async () => {
    const { job } = fakeJob();
    const fn = jobFunction(job);
    await expect(fn(apiGatewayEvent(route, { caller: 'service', body: {} }), lambdaContext)).resolves.toMatchObject({ statusCode: 403 });
    await expect(fn(apiGatewayEvent(route, { caller: 'operator', body: { asOf: '2026-02-30' } }), lambdaContext)).resolves.toMatchObject({ statusCode: 400 });
    await expect(fn(apiGatewayEvent(route, { caller: 'operator', body: { asOf: '2026-02-03', extra: 1 } }), lambdaContext)).resolves.toMatchObject({ statusCode: 400 });
    await expect(fn(apiGatewayEvent(route, { caller: 'operator', query: { asOf: '2026-02-03' } }), lambdaContext)).resolves.toMatchObject({ statusCode: 400 });
    expect(job.run).not.toHaveBeenCalled();
  });

  it('refuses an asOf later than tomorrow (UTC), naming the field and the latest day, and runs nothing', async () => {
    const { job } = fakeJob();
    const dayAfterTomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const res = (await jobFunction(job)(apiGatewayEvent(route, { caller: 'operator', body: { asOf: dayAfterTomorrow } }), lambdaContext)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(400);
    const { error } = JSON.parse(res.body);
    expect(error.details).toEqual([{ field: 'asOf', message: expect.stringContaining(`Must be ${latestAsOf()} (tomorrow, UTC) or earlier`) }]);
    expect(job.run).not.toHaveBeenCalled();
  });

  it('runs an operator\'s asOf of tomorrow, and a schedule whatever its day', async () => {
    const { job, runs } = fakeJob();
    const tomorrow = latestAsOf();
    expect((await jobFunction(job)(apiGatewayEvent(route, { caller: 'operator', body: { asOf: tomorrow } }), lambdaContext)) as { statusCode: number }).toMatchObject({ statusCode: 200 });
    await jobFunction(job)({ ...scheduled, time: '2099-03-02T06:00:00Z' }, lambdaContext);
    expect(runs.map((r) => r.asOf)).toEqual([tomorrow, '2099-03-02']);
  });

  it('refuses an event that is neither a schedule nor an HTTP request', async () => {
    const { job } = fakeJob();
    await expect(jobFunction(job)({ source: 'elsewhere' }, lambdaContext)).rejects.toThrow(/expects an EventBridge Scheduled Event/);
    expect(job.run).not.toHaveBeenCalled();
  });
});

describe('Function: the unknown-job route', () => {
  it('answers 404 naming the jobs there are', async () => {
    const res = (await unknownJob(apiGatewayEvent('POST /v1/jobs/{job}/runs', { caller: 'operator', pathParameters: { job: 'nightly-party' } }), lambdaContext)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body).error.message).toBe('No job named "nightly-party": run one of daily-digest, reconciliation-audit, weekly-digest.');
  });
});

describe('Function: latestAsOf', () => {
  it('is the next UTC day, whatever the hour', () => {
    expect(latestAsOf(Date.parse('2026-03-01T00:00:00Z'))).toBe('2026-03-02');
    expect(latestAsOf(Date.parse('2026-02-28T23:59:59Z'))).toBe('2026-03-01');
    expect(latestAsOf(Date.parse('2028-12-31T12:00:00Z'))).toBe('2029-01-01');
  });
});

describe('The jobs there are', () => {
  it('are the jobs the features define, and each is a function with its schedule and its own operator route', () => {
    expect([reconciliationAudit, dailyDigest, weeklyDigest].map((job) => job.name).sort()).toEqual([...JOB_NAMES].sort());
    for (const name of JOB_NAMES) {
      const fn = functions.find((f) => f.name === name);
      expect(fn?.triggers.map((t) => t.kind).sort(), name).toEqual(['http', 'schedule']);
      expect(fn?.triggers).toContainEqual(expect.objectContaining({ kind: 'http', method: 'POST', path: jobRunPath(name), auth: 'operator' }));
    }
  });
});
