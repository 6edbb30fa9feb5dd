/**
 * A closed issue's resolution hands its rest on (or says it could not): the glue around
 * resolveLinkedChunk, with a store and a bus that are fakes. The chunks themselves are counted on
 * DynamoDB Local in test/integration/error-log-scale.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { IssueResolutionNotContinuedError } from '../../../shared/error-log/errors.js';
import { ISSUE_RESOLUTION_CONTINUED, issueResolutionContinued } from '../../../shared/error-log/domain/gitlab-webhook.js';
import { InvalidContinuationError, continueIssueResolution, resolveIssueChunk } from '../../../shared/error-log/issue-resolution.js';
import type { ResolutionDeps } from '../../../shared/error-log/issue-resolution.js';
import type { ErrorStore, ResolutionState, ResolutionWrite } from '../../../shared/error-log/store.js';
import type { OutgoingEvent } from '../../../shared/platform/bus.js';

const ISSUE = 'https://gitlab.example.com/g/p/-/issues/4';
const quiet = { info: () => undefined };

/** A store of `n` open records linked to ISSUE, paged like the index (`limit` per page). */
function fakeStore(n: number) {
  const ids = Array.from({ length: n }, (_, i) => `r${String(i).padStart(4, '0')}`);
  const writes: ResolutionWrite[][] = [];
  const store = {
    linkedPage: async (_link: string, after: string | null, limit: number) => {
      const start = after ? ids.indexOf(after) + 1 : 0;
      const page = ids.slice(start, start + limit);
      return { ids: page, next: start + limit <= ids.length && page.length > 0 ? page.at(-1)! : null };
    },
    resolutionStates: async (list: readonly string[]) => new Map<string, ResolutionState>(list.map((id) => [id, { status: 'open', revision: 1, gitlabIssueLink: ISSUE }])),
    resolveAll: async (batch: readonly ResolutionWrite[]) => (writes.push([...batch]), 'written' as const),
  };
  return { store: store as unknown as ErrorStore, writes };
}

describe('Function: resolveIssueChunk', () => {
  it('resolves a chunk and hands the rest on with one Issue Resolution Continued after its last record', async () => {
    const { store, writes } = fakeStore(700);
    const published: OutgoingEvent[] = [];
    const deps: ResolutionDeps = { store, publish: async (events) => (published.push(...events), []) };

    const first = await resolveIssueChunk({ url: ISSUE, iid: 4 }, null, 1, deps, quiet);

    expect(first).toMatchObject({ issue: ISSUE, chunk: 1, next: 'r0499' });
    expect(first.resolved).toHaveLength(500);
    expect(writes.map((w) => w.length)).toEqual([100, 100, 100, 100, 100]);
    expect(writes[0]![0]).toMatchObject({ id: 'r0000', revision: 1, link: ISSUE, changes: [{ field: 'status', from: 'open', to: 'resolved', actor: 'gitlab-webhook', reason: 'GitLab issue #4 was closed' }] });
    expect(published).toEqual([{ detailType: ISSUE_RESOLUTION_CONTINUED, detail: { issue: ISSUE, iid: 4, after: 'r0499', chunk: 2 }, id: 'continue' }]);
    expect(issueResolutionContinued.safeParse(published[0]!.detail).success).toBe(true);

    const second = await continueIssueResolution({ detail: published.pop()!.detail }, deps, quiet);
    expect(second).toMatchObject({ chunk: 2, next: null });
    expect(second.resolved).toHaveLength(200);
    expect(published).toEqual([]);
  });

  it('fails (503, so GitLab delivers again) when the bus does not take the continuation', async () => {
    const { store } = fakeStore(600);
    await expect(resolveIssueChunk({ url: ISSUE, iid: 4 }, null, 1, { store, publish: async () => ['continue'] }, quiet)).rejects.toBeInstanceOf(IssueResolutionNotContinuedError);
    expect(new IssueResolutionNotContinuedError(ISSUE)).toMatchObject({ kind: 'unavailable', code: 'resolution_not_continued' });
  });

  it('refuses a continuation event whose detail is not one', async () => {
    const { store } = fakeStore(1);
    const deps: ResolutionDeps = { store, publish: async () => [] };
    await expect(continueIssueResolution({ detail: { issue: 'not a url', iid: 4, after: 'r1', chunk: 2 } }, deps, quiet)).rejects.toBeInstanceOf(InvalidContinuationError);
    await expect(continueIssueResolution({}, deps, quiet)).rejects.toThrow(/Invalid Issue Resolution Continued detail/);
  });
});
