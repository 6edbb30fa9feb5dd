/**
 * Hostile input on every route of the manifest: generated bodies, paths, query strings and headers
 * (wrong types, missing and unknown fields, prototype keys, huge numbers, unicode, bodies over
 * 256 KB, wrong content types, malformed JSON). Every answer is a 4xx with the error body, never a
 * 5xx, and the tables hold exactly what they held before.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../local/dynamodb.js';
import type { Runtime } from '../../local/runtime.js';
import { httpRoutes } from '../../shared/service/manifest.js';
import type { HttpTrigger } from '../../shared/service/manifest.js';
import { startTestRuntime } from './helpers.js';
import { recordSection } from './reliability-report.js';

const RUNS_PER_ROUTE = 1000;
const SEED = 20261122;
const CONCURRENCY = 8;

let runtime: Runtime;
let before: string;

beforeAll(async () => {
  // The webhook checks its secret first: give it one, so hostile bodies reach its validation.
  process.env.GITLAB_WEBHOOK_SECRET = 'hostile-input-webhook-secret';
  runtime = await startTestRuntime();
  // Some data to protect: a subscription with history.
  const headers = { authorization: `Bearer ${runtime.tokens.service}`, 'content-type': 'application/json' };
  const res = await fetch(`${runtime.url}/v1/subscriptions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ eventId: 'seed-1', occurredAt: '2026-01-01T00:00:00Z', subscriptionId: 'S-seed', namespaceId: 4242, planCode: 'premium', seats: 5, startDate: '2026-01-01', endDate: '2027-01-01' }),
  });
  expect(res.status).toBe(200);
  await runtime.settle();
  before = await snapshot();
});

afterAll(async () => {
  await runtime?.stop();
});

async function snapshot(): Promise<string> {
  const client = localClient(runtime.dynamoEndpoint);
  const dump: Record<string, unknown[]> = {};
  for (const [key, name] of Object.entries(runtime.tables)) {
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await client.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start as never, ConsistentRead: true }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    dump[key] = items.map((i) => JSON.stringify(i)).sort();
  }
  client.destroy();
  return JSON.stringify(dump);
}

interface HostileRequest {
  path: string;
  query: string;
  headers: Record<string, string>;
  body?: string;
  kind: string;
}

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const weirdString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '..', '../etc/passwd', '%00', '\u0000', '\u202e', '😀', 'null', 'undefined', 'NaN', '-1', '0', '1e309', '99999999999999999999999', '9007199254740993', 'x'.repeat(300)),
);
const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, [], {}, '', '2026-13-45', 'not-a-date'),
  fc.double(),
  fc.bigInt().map((b) => Number(b)),
  weirdString,
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(weirdString, fc.integer(), { maxKeys: 3 }),
);
const KNOWN_FIELDS = ['eventId', 'occurredAt', 'subscriptionId', 'namespaceId', 'planCode', 'seats', 'startDate', 'endDate', 'autoRenew', 'nextReconciliationDate', 'expiredOn', 'trialStartsOn', 'trialEndsOn', 'endedOn', 'seatsInUse', 'measuredAt', 'zuoraAccountId', 'targetNamespaceId', 'reason', 'note', 'dryRun', 'replacePaid', 'status', 'notes', 'gitlabIssueLink', 'enabled', 'actors', 'percentageOfActors', 'asOf'];

/** A JSON object that always carries at least one field no schema accepts (strict schemas refuse it). */
const hostileObject = fc
  .record({
    known: fc.dictionary(fc.constantFrom(...KNOWN_FIELDS), weirdValue, { maxKeys: 6 }),
    bad: fc.oneof(fc.constantFrom(...PROTO_KEYS), weirdString.filter((k) => !KNOWN_FIELDS.includes(k))),
    badValue: weirdValue,
  })
  .map(({ known, bad, badValue }) => {
    const body = `${JSON.stringify(known).slice(0, -1)}${Object.keys(known).length ? ',' : ''}${JSON.stringify(bad)}:${JSON.stringify(badValue ?? null)}}`;
    return body;
  });

const hostileBody: fc.Arbitrary<{ body: string; contentType: string; kind: string }> = fc.oneof(
  { weight: 6, arbitrary: hostileObject.map((body) => ({ body, contentType: 'application/json', kind: 'unknown or prototype field' })) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }).map((body) => ({ body, contentType: 'application/json', kind: 'malformed JSON' })) },
  { weight: 2, arbitrary: fc.oneof(fc.constant('null'), fc.constant('[]'), fc.constant('"x"'), fc.constant('42'), fc.constant('true'), fc.jsonValue().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v))).map((body) => ({ body, contentType: 'application/json', kind: 'not an object' })) },
  { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded').map((contentType) => ({ body: '{"eventId":"x"}', contentType, kind: 'wrong content type' })) },
  { weight: 1, arbitrary: fc.constant({ body: `{"eventId":"big","pad":"${'x'.repeat(300 * 1024)}"}`, contentType: 'application/json', kind: 'body over 256 KB' }) },
);

const hostileQuery = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('dryRun', 'limit', 'cursor', 'status', 'from', 'to', ...PROTO_KEYS), weirdString), weirdString), { minLength: 1, maxLength: 3 })
  .map((pairs) => {
    const params = new URLSearchParams();
    for (const [k, v] of pairs) params.append(k || 'k', v);
    // One parameter no route accepts, or a value no route accepts, makes every query hostile.
    params.append('__proto__', 'polluted');
    return params.toString();
  });

const hostileHeaders = fc.dictionary(
  fc.constantFrom('x-forwarded-for', 'user-agent', 'accept', 'x-amz-date', 'x-request-id', 'accept-encoding', 'origin'),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 }),
  { maxKeys: 3 },
);

function hostilePath(route: HttpTrigger): fc.Arbitrary<string> {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
  if (!params.length) return fc.constant(route.path);
  return fc.tuple(...params.map(() => fc.oneof(weirdString.filter((s) => s.length > 0 && !s.includes('/') && s !== '.' && s !== '..'), fc.constantFrom('4242', 'S-seed')))).map((values) => {
    let path = route.path;
    params.forEach((name, i) => (path = path.replace(`{${name}}`, encodeURIComponent(values[i]!))));
    return path;
  });
}

function requests(route: HttpTrigger): HostileRequest[] {
  const hasBody = route.method !== 'GET';
  const arb = fc.record({ path: hostilePath(route), query: hostileQuery, headers: hostileHeaders, body: hostileBody }).map(
    ({ path, query, headers, body }): HostileRequest => ({
      path,
      query,
      headers: { ...headers, ...(hasBody ? { 'content-type': body.contentType } : {}) },
      body: hasBody ? body.body : undefined,
      kind: hasBody ? body.kind : 'hostile path, query and headers',
    }),
  );
  return fc.sample(arb, { numRuns: RUNS_PER_ROUTE, seed: SEED });
}

async function pool<T>(items: T[], worker: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await worker(items[next++]!);
  }));
}

const tally = { requests: 0, routes: 0, byStatus: {} as Record<string, number>, byKind: {} as Record<string, number> };

describe('Hostile input', () => {
  const routes = httpRoutes();

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s answers every hostile request with a 4xx error body', async (_, route) => {
    const token = route.auth === 'operator' ? runtime.tokens.operator : runtime.tokens.service;
    const failures: string[] = [];
    await pool(requests(route), async (req) => {
      const webhook = String(route.auth) === 'webhook';
      const res = await fetch(`${runtime.url}${req.path}?${req.query}`, {
        method: route.method,
        headers: { ...req.headers, ...(webhook ? { 'x-gitlab-token': process.env.GITLAB_WEBHOOK_SECRET ?? 'no-secret' } : { authorization: `Bearer ${token}` }) },
        body: req.body,
      });
      const text = await res.text();
      tally.requests++;
      tally.byStatus[res.status] = (tally.byStatus[res.status] ?? 0) + 1;
      tally.byKind[req.kind] = (tally.byKind[req.kind] ?? 0) + 1;
      let code: unknown;
      try {
        code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
      } catch {
        code = undefined;
      }
      if (res.status < 400 || res.status >= 500 || typeof code !== 'string') {
        failures.push(`${res.status} ${route.method} ${req.path}?${req.query} [${req.kind}] ${req.body?.slice(0, 200)} → ${text.slice(0, 200)}`);
      }
    });
    tally.routes++;
    expect(failures.slice(0, 5)).toEqual([]);
  });

  it('answers commands whose dates contradict each other with 400 validation_failed naming them', async () => {
    const headers = { authorization: `Bearer ${runtime.tokens.service}`, 'content-type': 'application/json' };
    const cases: Array<[string, string, Record<string, unknown>, string[]]> = [
      ['POST', '/v1/subscriptions', { eventId: 'dates-1', occurredAt: '2026-01-01T00:00:00Z', subscriptionId: 'S-dates', namespaceId: 4243, planCode: 'premium', seats: 5, startDate: '2026-01-01', endDate: '2025-01-01' }, ['endDate']],
      ['POST', '/v1/subscriptions/S-seed/renewals', { eventId: 'dates-2', occurredAt: '2026-06-01T00:00:00Z', startDate: '2027-01-01', endDate: '2027-01-01' }, ['endDate']],
      ['POST', '/v1/namespaces/4244/trials', { eventId: 'dates-3', occurredAt: '2026-01-01T00:00:00Z', planCode: 'ultimate_trial', trialStartsOn: '2026-02-01', trialEndsOn: '2026-01-15' }, ['trialEndsOn']],
    ];
    for (const [method, path, body, fields] of cases) {
      for (const query of ['', '?dryRun=true']) {
        const res = await fetch(`${runtime.url}${path}${query}`, { method, headers, body: JSON.stringify(body) });
        const answer = (await res.json()) as { error: { code: string; details: Array<{ field: string }> } };
        expect({ path, query, status: res.status, code: answer.error.code, fields: answer.error.details.map((d) => d.field) }).toEqual({ path, query, status: 400, code: 'validation_failed', fields });
      }
    }
  });

  it('left every table exactly as it was', async () => {
    await runtime.settle();
    expect(await snapshot()).toBe(before);
    recordSection('hostile-input', {
      order: 1,
      title: 'Hostile input',
      figures: [
        ['routes exercised', tally.routes],
        ['requests per route', RUNS_PER_ROUTE],
        ['requests sent', tally.requests],
        ...Object.entries(tally.byKind).sort().map(([k, v]) => [`— of which ${k}`, v] as [string, number]),
        ...Object.entries(tally.byStatus).sort().map(([k, v]) => [`answered ${k}`, v] as [string, number]),
        ['answered 5xx', Object.entries(tally.byStatus).filter(([k]) => Number(k) >= 500).reduce((n, [, v]) => n + v, 0)],
        ['records changed', 0],
      ],
      notes: [`fast-check seed ${SEED}; ${CONCURRENCY} requests at a time over HTTP to the local runtime.`],
    });
  });
});
