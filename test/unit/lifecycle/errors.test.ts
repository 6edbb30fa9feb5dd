/** What each rejection of the lifecycle rules means to a caller: kind, code, settled, details. */
import { describe, expect, it } from 'vitest';
import { CommandRejectedError, UnknownSubscriptionError } from '../../../shared/lifecycle/errors.js';
import type { RejectionCode } from '../../../shared/lifecycle/domain/types.js';
import { isSettled } from '../../../shared/platform/errors.js';
import { errorAnswer } from '../../../shared/platform/http/errors.js';

describe('Class: CommandRejectedError', () => {
  it.each<[RejectionCode, string, string, boolean, number]>([
    ['stale_event', 'conflict', 'stale_event', true, 409],
    ['subscription_exists', 'conflict', 'subscription_exists', false, 409],
    ['namespace_has_subscription', 'conflict', 'namespace_has_subscription', false, 409],
    ['subscription_expired', 'conflict', 'subscription_expired', false, 409],
    ['not_in_trial', 'conflict', 'not_in_trial', false, 409],
    ['invalid_dates', 'invalid_input', 'validation_failed', false, 400],
  ])('derives from %s: kind %s, code %s, settled %s, HTTP %i', (rejection, kind, code, settled, status) => {
    const error = new CommandRejectedError({ code: rejection, message: `refused: ${rejection}` });
    expect(error).toMatchObject({ name: 'CommandRejectedError', kind, code, settled, rejection, message: `refused: ${rejection}` });
    expect(isSettled(error)).toBe(settled);
    expect(errorAnswer(error)).toMatchObject({ statusCode: status, code });
  });

  it('names the dates of invalid_dates in details', () => {
    const error = new CommandRejectedError({ code: 'invalid_dates', message: 'endDate must be after startDate', fields: ['startDate', 'endDate'] });
    expect(errorAnswer(error).body).toEqual({
      error: {
        code: 'validation_failed',
        message: 'endDate must be after startDate',
        details: [
          { field: 'startDate', message: 'endDate must be after startDate' },
          { field: 'endDate', message: 'endDate must be after startDate' },
        ],
      },
    });
  });

  it('shows no details for a conflict', () => {
    expect(errorAnswer(new CommandRejectedError({ code: 'stale_event', message: 'older' })).body).toEqual({ error: { code: 'stale_event', message: 'older' } });
  });
});

describe('Class: UnknownSubscriptionError', () => {
  it('is 404 not_found, with the message callers saw before', () => {
    const error = new UnknownSubscriptionError('A-S1');
    expect(error).toMatchObject({ kind: 'not_found', subscriptionId: 'A-S1', settled: false });
    expect(errorAnswer(error).body).toEqual({ error: { code: 'not_found', message: 'Subscription A-S1 is unknown: send Subscription Created for it first.' } });
  });
});
