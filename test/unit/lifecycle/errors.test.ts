/** What each rejection of the lifecycle rules means to a caller: kind, code, settled, details. */
import { describe, expect, it } from 'vitest';
import { CommandRejectedError, UnknownSubscriptionError } from '../../../shared/lifecycle/errors.js';
import type { RejectionCode } from '../../../shared/lifecycle/domain/types.js';
import { isSettled } from '../../../shared/platform/errors.js';
import { errorAnswer, validationFailed } from '../../../shared/platform/http/errors.js';
import { commandSpecs } from '../../../shared/lifecycle/specs.js';

describe('Class: CommandRejectedError', () => {
  it.each<[RejectionCode, string, string, boolean, number]>([
    ['stale_event', 'conflict', 'stale_event', true, 409],
    ['subscription_exists', 'conflict', 'subscription_exists', false, 409],
    ['namespace_has_subscription', 'conflict', 'namespace_has_subscription', false, 409],
    ['subscription_expired', 'conflict', 'subscription_expired', false, 409],
    ['subscription_not_held', 'conflict', 'subscription_not_held', false, 409],
  ])('derives from %s: kind %s, code %s, settled %s, HTTP %i', (rejection, kind, code, settled, status) => {
    const error = new CommandRejectedError({ code: rejection, message: `refused: ${rejection}` });
    expect(error).toMatchObject({ name: 'CommandRejectedError', kind, code, settled, rejection, message: `refused: ${rejection}` });
    expect(isSettled(error)).toBe(settled);
    expect(errorAnswer(error)).toMatchObject({ statusCode: status, code });
  });

  it('leaves dates that contradict each other to the schemas: 400 validation_failed naming the end', () => {
    const cases = [
      [commandSpecs.created.body, { eventId: 'e', occurredAt: '2026-01-01T00:00:00Z', subscriptionId: 'S', namespaceId: 1, planCode: 'premium', seats: 1, startDate: '2026-01-01', endDate: '2026-01-01' }, 'endDate'],
      [commandSpecs.renewed.detail, { eventId: 'e', occurredAt: '2026-01-01T00:00:00Z', subscriptionId: 'S', startDate: '2026-02-01', endDate: '2026-01-01' }, 'endDate'],
      [commandSpecs.trialStarted.body, { eventId: 'e', occurredAt: '2026-01-01T00:00:00Z', planCode: 'ultimate_trial', trialStartsOn: '2026-01-10', trialEndsOn: '2026-01-01' }, 'trialEndsOn'],
    ] as const;
    for (const [schema, value, field] of cases) {
      const error = validationFailed(schema.safeParse(value).error!, 'body');
      expect(errorAnswer(error)).toMatchObject({ statusCode: 400, code: 'validation_failed' });
      expect(error.details).toEqual([{ field, message: expect.stringMatching(/must be after/) }]);
    }
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
