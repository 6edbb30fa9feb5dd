/**
 * The exactly-once loop and its retry, with fakes: a read that returns what the test says, a rule,
 * a commit that succeeds, loses a race or meets a duplicate, and a backoff that does not wait.
 */
import { describe, expect, it, vi } from 'vitest';
import { ConcurrentUpdateExhaustedError, IdempotencyConflictError } from '../../../shared/platform/errors.js';
import { ConcurrentUpdateError, StoreUnavailableError } from '../../../shared/platform/dynamodb/errors.js';
import { MAX_ATTEMPTS, READ_AGAIN, apply, requestHash, retryLostRaces, runExactlyOnce } from '../../../shared/platform/exactly-once.js';
import type { Attempt, Decision, ExactlyOnceCommand, StoredResult } from '../../../shared/platform/exactly-once.js';

interface Counter {
  value: number;
}
interface Read {
  counter: Counter;
  stored: StoredResult<number> | null;
}
interface Write {
  from: number;
  to: number;
}

class Duplicate extends Error {
  constructor(readonly record: StoredResult<number>) {
    super('applied concurrently');
  }
}

const request = { eventId: 'e-1', add: 2 };
const hash = requestHash(request);
const noWait = async (_attempt: number) => {};

/** A command that adds 2 to a counter; each piece can be replaced by a test. */
function adding(overrides: Partial<ExactlyOnceCommand<Read, number, number, Write>> = {}, store: { reads: Read[] } = { reads: [] }) {
  const commit = vi.fn(async (_write: Write) => {});
  const read = vi.fn(async (): Promise<Read> => store.reads.shift() ?? { counter: { value: 40 }, stored: null });
  const command: ExactlyOnceCommand<Read, number, number, Write> = {
    hash,
    what: 'the counter',
    read,
    storedIn: (r) => r.stored,
    replay: (result) => result,
    decide: (r): Decision<number, Write> => apply(r.counter.value + 2, { from: r.counter.value, to: r.counter.value + 2 }),
    commit,
    duplicateIn: (error) => (error instanceof Duplicate ? error.record : null),
    ...overrides,
  };
  return { command, commit: (overrides.commit as typeof commit | undefined) ?? commit, read };
}

describe('Function: runExactlyOnce', () => {
  it('reads, decides and commits once', async () => {
    // Prepare
    const { command, commit, read } = adding();

    // Act
    const outcome = await runExactlyOnce(command, { backoff: noWait });

    // Assess
    expect(outcome).toEqual({ result: 42, replayed: false, dryRun: false });
    expect(read).toHaveBeenCalledTimes(1);
    expect(commit).toHaveBeenCalledWith({ from: 40, to: 42 }, { counter: { value: 40 }, stored: null });
  });

  it('answers a stored record of the same request, without deciding or writing', async () => {
    const decide = vi.fn();
    const { command, commit } = adding({ decide }, { reads: [{ counter: { value: 99 }, stored: { eventId: 'e-1', requestHash: hash, result: 42 } }] });
    expect(await runExactlyOnce(command, { backoff: noWait })).toEqual({ result: 42, replayed: true, dryRun: false });
    expect(decide).not.toHaveBeenCalled();
    expect(commit).not.toHaveBeenCalled();
  });

  it('refuses a stored record of another request: 409 idempotency_conflict, nothing written', async () => {
    const { command, commit } = adding({}, { reads: [{ counter: { value: 99 }, stored: { eventId: 'e-1', requestHash: 'another', result: 7 } }] });
    const failure = runExactlyOnce(command, { backoff: noWait });
    await expect(failure).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(failure).rejects.toMatchObject({ code: 'idempotency_conflict', kind: 'conflict', eventId: 'e-1' });
    expect(commit).not.toHaveBeenCalled();
  });

  it('answers a dry run with what it decided and writes nothing', async () => {
    const { command, commit } = adding({ dryRun: true });
    expect(await runExactlyOnce(command, { backoff: noWait })).toEqual({ result: 42, replayed: false, dryRun: true });
    expect(commit).not.toHaveBeenCalled();
  });

  it('replays a stored record on a dry run too', async () => {
    const { command } = adding({ dryRun: true }, { reads: [{ counter: { value: 1 }, stored: { eventId: 'e-1', requestHash: hash, result: 42 } }] });
    expect(await runExactlyOnce(command, { backoff: noWait })).toEqual({ result: 42, replayed: true, dryRun: true });
  });

  it('lets the rule refuse: its error, nothing written', async () => {
    const refusal = new Error('refused by the rule');
    const { command, commit } = adding({
      decide: () => {
        throw refusal;
      },
    });
    await expect(runExactlyOnce(command, { backoff: noWait })).rejects.toBe(refusal);
    expect(commit).not.toHaveBeenCalled();
  });

  it('answers the winner\'s record when the commit meets the same eventId applied concurrently', async () => {
    const commit = vi.fn(async () => {
      throw new Duplicate({ eventId: 'e-1', requestHash: hash, result: 41 });
    });
    const { command } = adding({ commit });
    expect(await runExactlyOnce(command, { backoff: noWait })).toEqual({ result: 41, replayed: true, dryRun: false });
    expect(commit).toHaveBeenCalledTimes(1);
  });

  it('refuses the winner\'s record of another request met at commit', async () => {
    const commit = vi.fn(async () => {
      throw new Duplicate({ eventId: 'e-1', requestHash: 'another', result: 41 });
    });
    await expect(runExactlyOnce(adding({ commit }).command, { backoff: noWait })).rejects.toBeInstanceOf(IdempotencyConflictError);
  });

  it('reads and decides again after a lost race, backing off between attempts', async () => {
    const commit = vi.fn().mockRejectedValueOnce(new ConcurrentUpdateError('lost')).mockResolvedValueOnce(undefined);
    const backoff = vi.fn(noWait);
    const { command, read } = adding({ commit }, { reads: [{ counter: { value: 40 }, stored: null }, { counter: { value: 50 }, stored: null }] });
    expect(await runExactlyOnce(command, { backoff })).toEqual({ result: 52, replayed: false, dryRun: false });
    expect(read).toHaveBeenCalledTimes(2);
    expect(commit).toHaveBeenLastCalledWith({ from: 50, to: 52 }, expect.anything());
    expect(backoff).toHaveBeenCalledWith(1);
  });

  it(`gives up after ${MAX_ATTEMPTS} lost races: ConcurrentUpdateExhaustedError (409 concurrent_update), waiting between attempts only`, async () => {
    const commit = vi.fn(async () => {
      throw new ConcurrentUpdateError('lost');
    });
    const backoff = vi.fn(noWait);
    const failure = runExactlyOnce(adding({ commit }).command, { backoff });
    await expect(failure).rejects.toBeInstanceOf(ConcurrentUpdateExhaustedError);
    await expect(failure).rejects.toMatchObject({ code: 'concurrent_update', kind: 'conflict', message: expect.stringContaining('the counter') });
    expect(commit).toHaveBeenCalledTimes(MAX_ATTEMPTS);
    expect(backoff.mock.calls.map(([n]) => n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('honours maxAttempts', async () => {
    const commit = vi.fn(async () => {
      throw new ConcurrentUpdateError('lost');
    });
    await expect(runExactlyOnce(adding({ commit }).command, { backoff: noWait, maxAttempts: 3 })).rejects.toBeInstanceOf(ConcurrentUpdateExhaustedError);
    expect(commit).toHaveBeenCalledTimes(3);
  });

  it('does not retry any other failure of the commit', async () => {
    const down = new StoreUnavailableError('DynamoDB is unavailable');
    const commit = vi.fn(async () => {
      throw down;
    });
    await expect(runExactlyOnce(adding({ commit }).command, { backoff: noWait })).rejects.toBe(down);
    expect(commit).toHaveBeenCalledTimes(1);
  });

  it('does not retry a ConcurrentUpdateError out of the read: no race was lost', async () => {
    const failure = new ConcurrentUpdateError('DynamoDB left keys unprocessed too many times');
    const read = vi.fn(async (): Promise<Read> => {
      throw failure;
    });
    await expect(runExactlyOnce(adding({ read }).command, { backoff: noWait })).rejects.toBe(failure);
    expect(read).toHaveBeenCalledTimes(1);
  });

  it('reads again when the rule asks, and tells the rule which attempt is the last', async () => {
    const attempts: Attempt[] = [];
    const decide = (r: Read, attempt: Attempt): Decision<number, Write> => {
      attempts.push(attempt);
      return attempt.last ? apply(r.counter.value, { from: r.counter.value, to: r.counter.value }) : READ_AGAIN;
    };
    const { command, commit, read } = adding({ decide });
    expect(await runExactlyOnce(command, { backoff: noWait, maxAttempts: 3 })).toEqual({ result: 40, replayed: false, dryRun: false });
    expect(attempts).toEqual([{ number: 1, last: false }, { number: 2, last: false }, { number: 3, last: true }]);
    expect(read).toHaveBeenCalledTimes(3);
    expect(commit).toHaveBeenCalledTimes(1);
  });

  it('refuses a rule that asks to read again on the last attempt', async () => {
    const { command } = adding({ decide: () => READ_AGAIN });
    await expect(runExactlyOnce(command, { backoff: noWait, maxAttempts: 2 })).rejects.toThrow(/last attempt/);
  });
});

describe('Function: retryLostRaces', () => {
  it('returns the first attempt that does not lose its race', async () => {
    const attempt = vi.fn().mockRejectedValueOnce(new ConcurrentUpdateError('lost')).mockResolvedValueOnce('done');
    expect(await retryLostRaces(attempt, { backoff: noWait, exhausted: () => new Error('never') })).toBe('done');
    expect(attempt).toHaveBeenCalledTimes(2);
  });

  it('throws what `exhausted` makes of the last lost race', async () => {
    const last = new ConcurrentUpdateError('lost');
    const attempt = vi.fn(async () => {
      throw last;
    });
    await expect(retryLostRaces(attempt, { backoff: noWait, maxAttempts: 5, exhausted: (error) => error })).rejects.toBe(last);
    expect(attempt).toHaveBeenCalledTimes(5);
  });

  it('recognises a lost race by the predicate it is given, and nothing else', async () => {
    class VersionMoved extends Error {}
    const attempt = vi.fn().mockRejectedValueOnce(new VersionMoved()).mockRejectedValueOnce(new ConcurrentUpdateError('not this one'));
    await expect(
      retryLostRaces(attempt, { backoff: noWait, isLostRace: (e) => e instanceof VersionMoved, exhausted: () => new Error('never') }),
    ).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect(attempt).toHaveBeenCalledTimes(2);
  });
});
