import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REVENUE_ERROR_REPORTED, revenueErrorReport } from '../../../shared/error-log/domain/report.js';
import { InvalidFailureEventError, errorIdOf, reportFingerprint, toOccurrence } from '../../../shared/error-log/domain/sources.js';
import { submitReport } from '../../../shared/error-log/reports.js';
import { ReportNotAcceptedError } from '../../../shared/error-log/errors.js';
import { utf8Bytes } from '../../../shared/error-log/domain/bounds.js';

const fixture = () =>
  JSON.parse(readFileSync(new URL('../../fixtures/events/revenue-error-reported.json', import.meta.url), 'utf8')) as { id: string; source: string; detail: Record<string, unknown> };

const report = (over: Record<string, unknown> = {}) => ({ ...fixture().detail, ...over });
const problems = (value: unknown) => {
  const parsed = revenueErrorReport.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'));
};

describe('Schema: revenueErrorReport', () => {
  it('takes the fixture, and a minimal report without integration, subject, payload or backtrace', () => {
    expect(problems(report())).toEqual([]);
    const { integration: _i, subject: _s, subjectKind: _k, payload: _p, backtrace: _b, ...minimal } = report();
    expect(problems(minimal)).toEqual([]);
    expect(problems(report({ integration: null }))).toEqual([]);
  });

  it.each([
    ['eventId', { eventId: '' }],
    ['eventId', { eventId: 'has spaces' }],
    ['occurredAt', { occurredAt: '2026-03-01T10:30:00' }],
    ['system', { system: 'Customers Portal' }],
    ['integration', { integration: 'Zuora!' }],
    ['flow', { flow: 'checkout' }],
    ['code', { code: 'not a code' }],
    ['errorType', { errorType: '' }],
    ['message', { message: 'x'.repeat(4001) }],
    ['subject', { subject: 'x'.repeat(301) }],
    ['subjectKind', { subjectKind: 'invoice' }],
    ['payload', { payload: { blob: 'é'.repeat(33_000) } }],
    ['payload', { payload: ['not', 'an', 'object'] }],
    ['backtrace', { backtrace: Array.from({ length: 51 }, () => 'line') }],
    ['', { surprise: true }],
  ])('refuses a bad %s', (field, over) => {
    expect(problems(report(over))).toContain(field);
  });

  it('refuses a subjectKind without a subject, naming subjectKind', () => {
    const { subject: _s, ...rest } = report();
    expect(problems(rest)).toEqual(['subjectKind']);
  });
});

describe('Function: toOccurrence, for Revenue Error Reported', () => {
  it('records where the failure happened, keyed by the eventId, redacted', () => {
    const occurrence = toOccurrence(fixture());
    expect(occurrence).toMatchObject({
      occurrenceId: 'report:customers-portal:portal-zuora-renewal-8812',
      source: 'report',
      system: 'customers-portal',
      integration: 'zuora',
      flow: 'renewal',
      subjectKind: 'zuora_account',
      subject: 'A00012345',
      code: 'VALIDATION_ERROR',
      errorType: 'Subscription update failed',
      occurredAt: '2026-03-01T09:30:00.000Z',
      payload: { subscriptionId: 'A-S0001', contactEmail: '[redacted]', apiToken: '[redacted]' },
    });
    expect(JSON.stringify(occurrence)).not.toMatch(/billing\.owner@example\.com|glpat-/);
  });

  it('takes the report from the customers portal and relayed by POST /v1/errors alike: same occurrence, same record', () => {
    const direct = toOccurrence(fixture());
    const relayed = toOccurrence({ ...fixture(), id: 'another-envelope', source: 'provisioning-service' });
    expect(relayed.occurrenceId).toBe(direct.occurrenceId);
    expect(relayed.fingerprint).toBe(direct.fingerprint);
  });

  it('fingerprints code, system, integration, flow and subject; not the message or the time', () => {
    const base = toOccurrence(fixture()).fingerprint;
    const variant = (over: Record<string, unknown>) => toOccurrence({ ...fixture(), detail: report(over) }).fingerprint;
    expect(variant({ eventId: 'other', message: 'another text', occurredAt: '2026-03-02T00:00:00Z' })).toBe(base);
    for (const over of [{ code: 'OTHER' }, { system: 'billing-portal' }, { integration: 'salesforce' }, { integration: null }, { flow: 'purchase' }, { subject: 'A00099999' }]) {
      expect(variant(over), JSON.stringify(over)).not.toBe(base);
    }
  });

  it('answers the same record id on the route as the writer counts on', () => {
    const detail = revenueErrorReport.parse(report());
    expect(errorIdOf(toOccurrence(fixture()).fingerprint)).toBe(errorIdOf(reportFingerprint(detail)));
  });

  it('cuts a long non-ASCII message to 4,000 bytes after redaction', () => {
    const occurrence = toOccurrence({ ...fixture(), detail: report({ message: '€'.repeat(4000) }) });
    expect(utf8Bytes(occurrence.message)).toBeLessThanOrEqual(4000);
    expect(occurrence.message.endsWith('…')).toBe(true);
  });

  it('refuses an invalid report on the bus', () => {
    expect(() => toOccurrence({ ...fixture(), detail: report({ flow: 'nope' }) })).toThrow(InvalidFailureEventError);
  });
});

describe('Function: submitReport', () => {
  it(`publishes ${REVENUE_ERROR_REPORTED} as provisioning-service and answers the record id`, async () => {
    const sent: unknown[] = [];
    const detail = revenueErrorReport.parse(report());
    const out = await submitReport(detail, async (events, source) => {
      sent.push({ events, source });
      return [];
    });
    expect(out).toEqual({ id: errorIdOf(reportFingerprint(detail)), eventId: detail.eventId });
    expect(sent).toEqual([{ events: [{ detailType: REVENUE_ERROR_REPORTED, detail, id: detail.eventId }], source: 'provisioning-service' }]);
  });

  it('throws ReportNotAcceptedError (503, retry) when the bus did not take it', async () => {
    const detail = revenueErrorReport.parse(report());
    await expect(submitReport(detail, async (events) => events.map((e) => e.id))).rejects.toBeInstanceOf(ReportNotAcceptedError);
  });
});
