import { describe, expect, it } from 'vitest';
import { appendNote, planPatch } from '../../../shared/error-log/domain/patch.js';
import { errorPatchBody } from '../../../shared/error-log/domain/record.js';

const at = '2026-03-01T10:00:00.000Z';
const current = { status: 'open' as const, notes: null, gitlabIssueLink: null };

describe('Function: planPatch', () => {
  it('plans a legal move with one change-log entry naming the operator', () => {
    expect(planPatch(current, { status: 'needs_attention' }, 'op-1', at)).toEqual({
      kind: 'apply',
      set: { status: 'needs_attention' },
      changes: [{ at, actor: 'op-1', field: 'status', from: 'open', to: 'needs_attention' }],
    });
  });

  it('refuses a move outside the workflow, whatever else the patch holds', () => {
    expect(planPatch(current, { status: 'in_progress', notes: 'x' }, 'op-1', at)).toMatchObject({ kind: 'invalid', from: 'open', to: 'in_progress' });
  });

  it('is a no-op when every field already has the asked value (a retried PATCH)', () => {
    expect(planPatch({ status: 'open', notes: 'n', gitlabIssueLink: 'https://g/1' }, { status: 'open', notes: 'n', gitlabIssueLink: 'https://g/1' }, 'op', at)).toEqual({ kind: 'noop' });
  });

  it('clears notes and the link with null (and an empty note), logging from and to', () => {
    const plan = planPatch({ status: 'open', notes: 'old', gitlabIssueLink: 'https://g/1' }, { notes: '', gitlabIssueLink: null }, 'op', at);
    expect(plan).toEqual({
      kind: 'apply',
      set: { notes: null, gitlabIssueLink: null },
      changes: [
        { at, actor: 'op', field: 'notes', from: 'old', to: null },
        { at, actor: 'op', field: 'gitlabIssueLink', from: 'https://g/1', to: null },
      ],
    });
  });

  it('keeps only the start of long notes in the change log', () => {
    const plan = planPatch(current, { notes: 'x'.repeat(500) }, 'op', at);
    expect(plan.kind === 'apply' && plan.set.notes).toHaveLength(500);
    expect(plan.kind === 'apply' && plan.changes[0]!.to).toHaveLength(200);
  });
});

describe('Schema: errorPatchBody', () => {
  it.each([
    [{}, false],
    [{ status: 'closed' }, false],
    [{ owner: 'me' }, false],
    [{ gitlabIssueLink: 'ftp://example.com/x' }, false],
    [{ gitlabIssueLink: 'javascript:alert(1)' }, false],
    [{ notes: 'n'.repeat(10_001) }, false],
    [{ status: 'resolved' }, true],
    [{ notes: null }, true],
    [{ gitlabIssueLink: 'https://gitlab.example.com/g/p/-/issues/1' }, true],
  ])('%j valid: %s', (body, valid) => {
    expect(errorPatchBody.safeParse(body).success).toBe(valid);
  });
});

describe('Function: appendNote', () => {
  it("keeps an engineer's notes and appends the audit's, dropping the oldest text when too long", () => {
    expect(appendNote(null, 'resolved')).toBe('resolved');
    expect(appendNote('looking at it', 'resolved')).toBe('looking at it\n\nresolved');
    const long = appendNote('x'.repeat(50), 'resolved', 20);
    expect(long).toHaveLength(20);
    expect(long.endsWith('\n\nresolved')).toBe(true);
  });
});
