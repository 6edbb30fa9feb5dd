import { describe, expect, it } from 'vitest';
import { errorStatuses, pathToResolved, transition } from '../../../shared/error-log/domain/status.js';
import type { ErrorStatus } from '../../../shared/error-log/domain/status.js';

/** The workflow, written out: the moves an operator may make. */
const ALLOWED = new Set(['open→resolved', 'open→needs_attention', 'needs_attention→in_progress', 'in_progress→resolved']);

const pairs = errorStatuses.flatMap((from) => errorStatuses.map((to) => [from, to] as [ErrorStatus, ErrorStatus]));

describe('Function: transition', () => {
  it('covers all 16 pairs of the four statuses', () => {
    expect(pairs).toHaveLength(16);
  });

  it.each(pairs)('%s → %s', (from, to) => {
    const result = transition(from, to);
    if (from === to) expect(result).toEqual({ kind: 'unchanged', status: from });
    else if (ALLOWED.has(`${from}→${to}`)) expect(result).toEqual({ kind: 'move', from, to });
    else {
      expect(result.kind).toBe('invalid');
      // The refusal names the moves that are allowed from here.
      expect(result).toMatchObject({ from, to, allowed: expect.arrayContaining(errorStatuses.filter((s) => ALLOWED.has(`${from}→${s}`))) });
    }
  });

  it('treats resolved as final', () => {
    for (const to of errorStatuses.filter((s) => s !== 'resolved')) expect(transition('resolved', to)).toMatchObject({ kind: 'invalid', allowed: [] });
  });
});

describe('Function: pathToResolved', () => {
  it.each([
    ['open', ['resolved']],
    ['needs_attention', ['in_progress', 'resolved']],
    ['in_progress', ['resolved']],
    ['resolved', []],
  ] as const)('from %s goes %j', (from, path) => {
    expect(pathToResolved(from)).toEqual(path);
  });

  it('only ever takes legal moves', () => {
    for (const from of errorStatuses) {
      let at: ErrorStatus = from;
      for (const next of pathToResolved(from)) {
        expect(transition(at, next).kind).toBe('move');
        at = next;
      }
      expect(at).toBe('resolved');
    }
  });
});
