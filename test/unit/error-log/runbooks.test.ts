import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_CODES } from '../../../shared/audit/domain.js';
import { DEFAULT_RUNBOOKS, runbookAdminLink, runbookFor, runbookSpecOf, sameRunbook } from '../../../shared/error-log/domain/runbooks.js';
import { runbookBody } from '../../../shared/error-log/domain/runbook-schema.js';
import { DEFAULT_RUNBOOK_TITLES } from '../../../shared/error-log/domain/runbook-titles.js';
import { toOccurrence } from '../../../shared/error-log/domain/sources.js';
import { errorAnswer } from '../../../shared/platform/http/errors.js';
import { StoreUnavailableError } from '../../../shared/platform/dynamodb/errors.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;

/** Every code the service emits, derived from the code that emits it. */
function emittedCodes(): string[] {
  const failed = fixture('lambda-failure');
  const expired = structuredClone(failed);
  expired.detail.requestContext.condition = 'EventAgeExceeded';
  delete expired.detail.responsePayload;
  const asyncCodes = [failed, fixture('lambda-failure-timeout'), expired].map((event) => toOccurrence(event).code);
  // Provisioning Failed carries the code of the 5xx answer: a fault of the service, or an unavailable dependency.
  const serverCodes = [errorAnswer(new Error('boom')).code, errorAnswer(new StoreUnavailableError('down')).code];
  // A rejection that is a failure on the bus (shared/lifecycle/errors.ts), and the issue's example.
  return [...new Set([...AUDIT_CODES, ...asyncCodes, ...serverCodes, 'subscription_not_held', 'provisioning_failed'])];
}

describe('Shipped runbooks', () => {
  it('cover every code the service emits', () => {
    const codes = emittedCodes();
    expect(codes).toEqual(expect.arrayContaining(['async_handler_failed', 'async_handler_timed_out', 'async_event_expired', 'internal_error', 'unavailable']));
    expect(codes.filter((code) => !DEFAULT_RUNBOOKS[code])).toEqual([]);
  });

  it('have their titles in the light module the Slack message and the digest use', () => {
    expect(Object.keys(DEFAULT_RUNBOOK_TITLES).sort()).toEqual(Object.keys(DEFAULT_RUNBOOKS).sort());
    expect(DEFAULT_RUNBOOKS.trial_not_ended?.title).toBe(DEFAULT_RUNBOOK_TITLES.trial_not_ended);
  });

  it('are valid runbooks (what an operator could save)', () => {
    for (const [code, spec] of Object.entries(DEFAULT_RUNBOOKS)) {
      expect(runbookBody.safeParse(spec).success, code).toBe(true);
    }
  });
});

describe('Function: runbookFor', () => {
  it('prefers the saved runbook, else the shipped one, else none', () => {
    expect(runbookFor('trial_not_ended', { title: 'Ours', steps: 'do it' })).toEqual({ code: 'trial_not_ended', source: 'stored', title: 'Ours', steps: 'do it' });
    expect(runbookFor('trial_not_ended', null)).toMatchObject({ source: 'default', title: 'Audit: a trial whose end date passed' });
    expect(runbookFor('VALIDATION_ERROR', null)).toBeNull();
    expect(runbookFor('toString', undefined)).toBeNull();
  });

  it('links the admin page view of a code', () => {
    expect(runbookAdminLink('https://admin.example.com/', 'zuora.timeout')).toBe('https://admin.example.com/admin#/runbooks/zuora.timeout');
  });
});

describe('Schema: runbookBody', () => {
  it.each([
    [{ title: 't' }, /steps/],
    [{ title: 't', steps: 'x'.repeat(20_001) }, /steps/],
    [{ title: 't', steps: 's', links: [{ title: 'a', url: 'javascript:alert(1)' }] }, /links/],
    [{ title: 't', steps: 's', links: [{ title: 'a', url: `https://x.example/${'ü'.repeat(1100)}` }] }, /2048 bytes/],
    [{ title: 't', steps: 's', links: Array.from({ length: 21 }, () => ({ title: 'a', url: 'https://x.example' })) }, /links/],
  ])('refuses %#', (body, message) => {
    const parsed = runbookBody.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(message);
  });

  it('compares normalised runbooks: the same PUT again is the same runbook', () => {
    expect(sameRunbook(runbookSpecOf({ title: 't', steps: 's', links: [] }), { title: 't', steps: 's' })).toBe(true);
    expect(sameRunbook({ title: 't', steps: 's' }, { title: 't', steps: 's2' })).toBe(false);
  });
});
