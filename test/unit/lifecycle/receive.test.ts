import { describe, expect, it } from 'vitest';
import { baseKey, logKey } from '../../../shared/lifecycle/domain/log.js';
import type { LogEntry } from '../../../shared/lifecycle/domain/log.js';
import { emptyState } from '../../../shared/lifecycle/domain/rules.js';
import type { LifecycleCommand } from '../../../shared/lifecycle/domain/types.js';
import { receive } from '../../../shared/lifecycle/receive.js';
import type { LogSlice } from '../../../shared/lifecycle/receive.js';

const NS = 7;
const usage = (eventId: string, measuredAt: string): LifecycleCommand => ({ type: 'seatUsageReported', eventId, occurredAt: measuredAt, namespaceId: NS, seatsInUse: 4, measuredAt });

describe('Function: receive', () => {
  it('answers stale, not an error, when the log was started again after the head it was given was read (a reassociation raced it)', async () => {
    const state = emptyState(NS);
    const newer = usage('newer', '2026-03-02T00:00:00.000Z');
    const late = usage('late', '2026-03-01T00:00:00.000Z');
    // The head as read before the move: nothing starts the log yet, its last entry is `newer`.
    const head = { state, lastKey: logKey(newer), baseKey: null };
    // What the log holds by the time the slice is read: the move's base entry after the late command's place.
    const moved: LogEntry = { key: baseKey(logKey(newer), '2026-03-05T00:00:00.000Z', 'reassociated-move'), command: null, state, rejection: null };
    const slice: LogSlice = { before: null, at: null, after: [{ key: logKey(newer), command: newer, state, rejection: null }, moved].sort((a, b) => (a.key < b.key ? -1 : 1)), truncated: false };
    const receipt = await receive(head, late, async () => slice);
    expect(receipt).toMatchObject({ kind: 'stale', reason: 'before_floor' });
  });
});
