/**
 * An operator's correction of a term's seat statistics (GitLab's provisioning API lets the portal
 * set max_seats_used; here it is a recorded manual act): a lifecycle command like the others — kept
 * in the namespace's log, applied exactly once, in the history with the operator — whose business
 * time is when the service applies it.
 */
import type * as z from '../platform/zod.js';
import type { CommandOptions } from '../platform/exactly-once.js';
import type { SeatStatisticsCorrected } from './domain/types.js';
import { executeCommand } from './execute.js';
import type { ExecuteResult } from './execute.js';
import type { correctionBody } from './schemas.js';

/**
 * Corrects the peak of the term starting `body.termStartDate` on `namespaceId` (the current or the
 * previous term), or answers what it would produce (`dryRun`).
 *
 * @throws CommandRejectedError `term_not_found` when the namespace has no such term (409)
 * @example
 * await correctSeatStatistics(42, { eventId: 'c-1', termStartDate: '2026-01-01', maxSeatsUsed: 12,
 *   reason: 'wrong_measurement', note: 'A test group was counted twice' }, { actor: 'operator-sub' });
 */
export function correctSeatStatistics(namespaceId: number, body: z.output<typeof correctionBody>, options: CommandOptions): Promise<ExecuteResult> {
  const now = options.now ?? (() => new Date());
  const command: SeatStatisticsCorrected = {
    type: 'seatStatisticsCorrected',
    eventId: body.eventId,
    occurredAt: now().toISOString(),
    namespaceId,
    termStartDate: body.termStartDate,
    maxSeatsUsed: body.maxSeatsUsed,
    reason: body.reason,
    note: body.note,
  };
  return executeCommand(command, { ...options, dryRun: options.dryRun || body.dryRun === true, now });
}
