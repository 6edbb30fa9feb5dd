import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditFinding, provisioningFailed } from '../../../shared/platform/failure-events.js';
import { InvalidFailureEventError, errorIdOf, fingerprintOf, lambdaFailureRecord, toOccurrence } from '../../../shared/error-log/domain/sources.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown> & { detail: Record<string, unknown> };

describe('Function: toOccurrence', () => {
  describe('a Lambda onFailure destination record', () => {
    it('parses the record Lambda puts on the bus into an occurrence, without personal data or tokens', () => {
      const event = fixture('lambda-failure');
      expect(lambdaFailureRecord.safeParse(event.detail).success).toBe(true);
      const occurrence = toOccurrence(event);
      expect(occurrence).toMatchObject({
        occurrenceId: `lambda:${(event.detail.requestContext as { requestId: string }).requestId}`,
        code: 'async_handler_failed',
        subject: 'ProvisioningService-subscription-renewed ← Subscription Renewed: StoreUnavailableError · subscriptionId=A-S0001',
        message: 'DynamoDB is unavailable',
        errorType: 'StoreUnavailableError',
        source: 'async',
        occurredAt: '2026-03-01T06:00:05.123Z',
        backtrace: ['StoreUnavailableError: DynamoDB is unavailable', 'at translate (file:///var/task/index.mjs:2:1043)', 'at async executeCommand (file:///var/task/index.mjs:2:5511)'],
      });
      expect(occurrence.payload).toMatchObject({
        function: 'ProvisioningService-subscription-renewed',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
        event: { 'detail-type': 'Subscription Renewed', detail: { subscriptionId: 'A-S0001', seats: 5, contactEmail: '[redacted]', apiToken: '[redacted]' } },
      });
      expect(JSON.stringify(occurrence)).not.toMatch(/billing\.owner@example\.com|glpat-/);
      expect(occurrence.fingerprint).toBe(fingerprintOf(occurrence.code, occurrence.subject));
    });

    it('names a timeout as such, and what the function was running', () => {
      const occurrence = toOccurrence(fixture('lambda-failure-timeout'));
      expect(occurrence).toMatchObject({ code: 'async_handler_timed_out', errorType: 'Sandbox.Timedout', subject: 'ProvisioningService-daily-digest ← Scheduled Event: Sandbox.Timedout' });
    });

    it('gives the same failure of the same subject one fingerprint, whatever the invocation and the time', () => {
      const a = fixture('lambda-failure');
      const b = structuredClone(a);
      b.id = 'another-event';
      (b.detail.requestContext as { requestId: string }).requestId = 'another-invocation';
      (b.detail as { timestamp: string }).timestamp = '2026-03-05T00:00:00.000Z';
      expect(toOccurrence(b).fingerprint).toBe(toOccurrence(a).fingerprint);
      expect(toOccurrence(b).occurrenceId).not.toBe(toOccurrence(a).occurrenceId);
    });

    it("makes each subject's failure its own record: another subscription is another fingerprint", () => {
      const a = fixture('lambda-failure');
      const b = structuredClone(a);
      (b.detail.requestPayload as { detail: { subscriptionId: string } }).detail.subscriptionId = 'A-S0002';
      expect(toOccurrence(b).subject).toContain('subscriptionId=A-S0002');
      expect(toOccurrence(b).fingerprint).not.toBe(toOccurrence(a).fingerprint);
    });

    it('keeps the occurrence id of a replayed failure record (new envelope id, same invocation)', () => {
      const a = fixture('lambda-failure');
      const replay = { ...structuredClone(a), id: 'replayed-envelope' };
      expect(toOccurrence(replay).occurrenceId).toBe(toOccurrence(a).occurrenceId);
    });

    it('records an event that expired before it could be delivered', () => {
      const event = fixture('lambda-failure');
      (event.detail.requestContext as { condition: string }).condition = 'EventAgeExceeded';
      delete event.detail.responsePayload;
      expect(toOccurrence(event)).toMatchObject({ code: 'async_event_expired', errorType: 'EventAgeExceeded' });
    });
  });

  it('parses Provisioning Failed', () => {
    const event = fixture('provisioning-failed');
    expect(provisioningFailed.safeParse(event.detail).success).toBe(true);
    expect(toOccurrence(event)).toMatchObject({
      code: 'internal_error',
      subject: 'POST /v1/subscriptions/{subscriptionId}/renewals: TypeError · subscriptionId=A-S0001',
      occurrenceId: 'http:Xk2p9gHkDoEEJ4w=',
      errorType: 'TypeError',
      source: 'http',
      payload: { routeKey: 'POST /v1/subscriptions/{subscriptionId}/renewals', pathParameters: { subscriptionId: 'A-S0001' } },
    });
  });

  it('parses Audit Finding with code + subject as the fingerprint', () => {
    const event = fixture('audit-finding');
    expect(auditFinding.safeParse(event.detail).success).toBe(true);
    const occurrence = toOccurrence(event);
    expect(occurrence).toMatchObject({ code: 'renewal_not_processed', subject: 'subscription:A-S0001', source: 'audit', payload: { asOf: '2026-03-02', namespaceId: 42 } });
    expect(occurrence.fingerprint).toBe(fingerprintOf('renewal_not_processed', 'subscription:A-S0001'));
    expect(errorIdOf(occurrence.fingerprint)).toMatch(/^err_[0-9a-f]{24}$/);
  });

  it.each([
    ['an unknown detail-type', { ...fixture('audit-finding'), 'detail-type': 'Something Else' }],
    ['a failure record from another source', { ...fixture('lambda-failure'), source: 'customers-portal' }],
    ['an invalid audit finding', { ...fixture('audit-finding'), detail: { code: 'Not A Code', subject: '', message: 'x', asOf: 'yesterday' } }],
    ['an invalid failure record', { ...fixture('lambda-failure'), detail: { version: '1.0' } }],
    ['not an event at all', 'hello'],
  ])('rejects %s', (_, event) => {
    expect(() => toOccurrence(event)).toThrow(InvalidFailureEventError);
  });
});
