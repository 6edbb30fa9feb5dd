/**
 * What runs locally is what AWS runs: each function isolated, with its template's environment and
 * its IAM policy. A call the policy does not allow fails with AccessDeniedException; a variable the
 * template does not give fails the handler as it would in AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { runEndToEndFlow } from './e2e-flow.js';
import { client, eventId, startTestRuntime } from './helpers.js';

const created = (namespaceId: number) => ({
  eventId: eventId('iso'),
  occurredAt: '2026-01-01T12:00:00.000Z',
  subscriptionId: `sub-iso-${namespaceId}`,
  namespaceId,
  planCode: 'ultimate',
  seats: 5,
  startDate: '2026-01-01',
  endDate: '2027-01-01',
});

describe('the local runtime runs each function isolated', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('runs the end-to-end flow (HTTP, bus, stream, schedule, error log) on the sources', async () => {
    await runEndToEndFlow(runtime, 7_100_001);
  });

  it('gives each function only what its template gives it', () => {
    const created = runtime.definitions.get('subscription-created')!;
    const outbox = runtime.definitions.get('outbox-publisher')!;
    expect(Object.keys(created.environment)).toContain('TABLE_STATE');
    expect(created.environment).not.toHaveProperty('SLACK_WEBHOOK_SECRET_ID');
    expect(outbox.environment).not.toHaveProperty('HTTP_API_ID');
    expect(outbox.environment).not.toHaveProperty('TABLE_ERRORS');
  });
});

describe('a call the policy does not allow', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    // subscription-created loses dynamodb:PutItem: its transaction puts items, so it must fail.
    runtime = await startTestRuntime({
      adjustDefinition: (definition) =>
        definition.name !== 'subscription-created'
          ? definition
          : {
              ...definition,
              policy: () =>
                definition.policy().map((statement) => ({ ...statement, actions: statement.actions.filter((action) => action !== 'dynamodb:PutItem') })),
            },
    });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('fails with AccessDeniedException, naming the missing action, and writes nothing', async () => {
    const api = client(runtime);
    const answer = await api.call('POST', '/v1/subscriptions', created(7_100_002));
    expect(answer.status).toBe(500);
    expect(runtime.iam.denials).toEqual([
      expect.objectContaining({ function: 'subscription-created', action: 'dynamodb:PutItem', message: expect.stringMatching(/is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:000000000000:table\//) }),
    ]);
    expect((await api.call('GET', '/v1/namespaces/7100002/subscription')).status).toBe(404);
  });
});

describe('a variable the template does not give', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startTestRuntime({
      adjustDefinition: (definition) => {
        if (definition.name !== 'error-log-writer') return definition;
        const { TABLE_ERRORS: _removed, ...environment } = definition.environment;
        return { ...definition, environment };
      },
    });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('fails the handler that reads it, as in AWS', async () => {
    const writer = runtime.functions.get('error-log-writer')!;
    const event = {
      version: '0',
      id: eventId('iso'),
      'detail-type': 'Revenue Error Reported',
      source: 'customers-portal',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'eu-west-1',
      resources: [],
      detail: { eventId: eventId('iso'), occurredAt: new Date().toISOString(), system: 'zuora', flow: 'renewal', code: 'zuora_iso', errorType: 'IsoError', message: 'a failure to store' },
    };
    await expect(writer.invoke(event)).rejects.toThrow(/TABLE_ERRORS is not set/);
  });
});
