import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GitLabIssues, GitLabNotConfiguredError, GitLabRequestError } from '../../../shared/error-log/gitlab.js';

const TOKEN = 'glpat-secret-token-000000';
const ISSUES = 'https://gitlab.example.com/api/v4/projects/provisioning%2Ferrors/issues';
const MARKER = 'digest:daily-digest:2026-03-01';
const issue = (iid: number, title: string) => ({ iid, title, web_url: `https://gitlab.example.com/provisioning/errors/-/issues/${iid}` });

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fake `fetch` answering in turn; the last answer repeats. */
function fakeFetch(...answers: (() => Response)[]) {
  let call = 0;
  return vi.fn<typeof fetch>(async () => answers[Math.min(call++, answers.length - 1)]!());
}

function tracker(fetchImpl: typeof fetch, url = 'https://gitlab.example.com') {
  const sleep = vi.fn(async (_ms: number) => {});
  return { sleep, issues: new GitLabIssues({ url, projectId: 'provisioning/errors', token: TOKEN, fetch: fetchImpl, sleep }) };
}

describe('Class: GitLabIssues', () => {
  describe('Method: findByMarker', () => {
    it('searches the titles of open and closed issues with GET /api/v4/projects/:id/issues and the PRIVATE-TOKEN header', async () => {
      // Prepare
      const fetchImpl = fakeFetch(() => answer(200, []));
      // Act
      await tracker(fetchImpl).issues.findByMarker(MARKER);
      // Assess
      expect(fetchImpl).toHaveBeenCalledTimes(1);
      const [url, init] = fetchImpl.mock.calls[0]!;
      expect(url).toBe(`${ISSUES}?search=digest%3Adaily-digest%3A2026-03-01&in=title&state=all&per_page=20`);
      expect(init?.method).toBe('GET');
      expect(init?.headers).toEqual({ accept: 'application/json', 'PRIVATE-TOKEN': TOKEN });
      expect(init?.body).toBeUndefined();
      expect(init?.signal).toBeInstanceOf(AbortSignal);
    });

    it('answers only an issue whose title contains the marker', async () => {
      const fetchImpl = fakeFetch(() => answer(200, [issue(3, 'Daily digest 2026-03-01 (digest daily-digest 2026-03-01)'), issue(4, `Daily digest 2026-03-01 (${MARKER})`)]));
      await expect(tracker(fetchImpl).issues.findByMarker(MARKER)).resolves.toEqual({ iid: 4, url: 'https://gitlab.example.com/provisioning/errors/-/issues/4' });
    });

    it('answers undefined when no title contains the marker', async () => {
      const fetchImpl = fakeFetch(() => answer(200, [issue(3, 'Daily digest 2026-03-01 (digest daily-digest 2026-03-01)')]));
      await expect(tracker(fetchImpl).issues.findByMarker(MARKER)).resolves.toBeUndefined();
    });

    it('throws when the matching issue has no iid', async () => {
      const fetchImpl = fakeFetch(() => answer(200, [{ title: MARKER, web_url: 'https://gitlab.example.com/x/-/issues/1' }]));
      await expect(tracker(fetchImpl).issues.findByMarker(MARKER)).rejects.toThrow(/without iid or web_url/);
    });

    it.each([502, 503, 504])('retries a read answered %i, then answers', async (status) => {
      // Prepare
      const fetchImpl = fakeFetch(
        () => answer(status, { message: 'unavailable' }),
        () => answer(200, [issue(4, `[digest] ${MARKER}`)]),
      );
      const { issues, sleep } = tracker(fetchImpl);
      // Act
      const ref = await issues.findByMarker(MARKER);
      // Assess
      expect(ref?.iid).toBe(4);
      expect(fetchImpl).toHaveBeenCalledTimes(2);
      expect(sleep.mock.calls).toEqual([[500]]);
    });

    it('throws when GitLab answers something other than a list', async () => {
      const fetchImpl = fakeFetch(() => answer(200, { message: 'not a list' }));
      await expect(tracker(fetchImpl).issues.findByMarker(MARKER)).rejects.toThrow(/other than a list of issues/);
    });
  });

  describe('Method: create', () => {
    it('opens the issue with POST /api/v4/projects/:id/issues, a JSON body and comma-joined labels', async () => {
      // Prepare
      const fetchImpl = fakeFetch(() => answer(201, issue(7, 'Daily digest')));
      // Act
      const ref = await tracker(fetchImpl).issues.create({ title: 'Daily digest', description: '## 2 errors', labels: ['provisioning', 'digest'] });
      // Assess
      expect(ref).toEqual({ iid: 7, url: 'https://gitlab.example.com/provisioning/errors/-/issues/7' });
      const [url, init] = fetchImpl.mock.calls[0]!;
      expect(url).toBe(ISSUES);
      expect(init?.method).toBe('POST');
      expect(init?.headers).toEqual({ accept: 'application/json', 'PRIVATE-TOKEN': TOKEN, 'content-type': 'application/json' });
      expect(JSON.parse(init?.body as string)).toEqual({ title: 'Daily digest', description: '## 2 errors', labels: 'provisioning,digest' });
    });

    it.each([
      ['https://gitlab.example.com', ISSUES],
      ['https://gitlab.example.com/', ISSUES],
      ['https://example.com/gitlab/', 'https://example.com/gitlab/api/v4/projects/provisioning%2Ferrors/issues'],
    ])('builds the URL from GITLAB_URL %s', async (base, expected) => {
      const fetchImpl = fakeFetch(() => answer(201, issue(1, 't')));
      await tracker(fetchImpl, base).issues.create({ title: 't', description: '', labels: [] });
      expect(fetchImpl.mock.calls[0]![0]).toBe(expected);
    });

    it.each([
      ['no iid', { web_url: 'https://gitlab.example.com/x/-/issues/1' }],
      ['no web_url', { iid: 1 }],
      ['an iid that is not a number', { iid: '1', web_url: 'https://gitlab.example.com/x/-/issues/1' }],
    ])('throws when the answered issue has %s', async (_case, body) => {
      const fetchImpl = fakeFetch(() => answer(201, body));
      await expect(tracker(fetchImpl).issues.create({ title: 't', description: '', labels: [] })).rejects.toThrow(/without iid or web_url/);
    });

    it('retries a 429 after the Retry-After seconds, then answers the issue created', async () => {
      // Prepare
      const fetchImpl = fakeFetch(
        () => answer(429, { message: '429 Too Many Requests' }, { 'retry-after': '3' }),
        () => answer(201, issue(8, 't')),
      );
      const { issues, sleep } = tracker(fetchImpl);
      // Act
      const ref = await issues.create({ title: 't', description: '', labels: [] });
      // Assess
      expect(ref.iid).toBe(8);
      expect(fetchImpl).toHaveBeenCalledTimes(2);
      expect(sleep.mock.calls).toEqual([[3_000]]);
    });

    it('retries a 503 three times with a growing backoff, then throws naming the status', async () => {
      // Prepare
      const fetchImpl = fakeFetch(() => answer(503, '<html>Service Unavailable</html>', { 'content-type': 'text/html' }));
      const { issues, sleep } = tracker(fetchImpl);
      // Act
      const error = await issues.create({ title: 't', description: '', labels: [] }).catch((e: unknown) => e);
      // Assess
      expect(fetchImpl).toHaveBeenCalledTimes(4);
      expect(sleep.mock.calls).toEqual([[500], [1_000], [2_000]]);
      expect(error).toBeInstanceOf(GitLabRequestError);
      expect((error as GitLabRequestError).status).toBe(503);
      expect((error as Error).message).toMatch(/^GitLab POST \/api\/v4\/projects\/provisioning%2Ferrors\/issues answered 503 after 4 attempts/);
    });

    it.each([502, 504])('does not repeat a POST answered %i (GitLab may have opened the issue): the next run finds it by marker', async (status) => {
      // Prepare
      const fetchImpl = fakeFetch(() => answer(status, { message: 'gateway' }));
      const { issues, sleep } = tracker(fetchImpl);
      // Act
      const error = await issues.create({ title: 't', description: '', labels: [] }).catch((e: unknown) => e);
      // Assess
      expect(fetchImpl).toHaveBeenCalledTimes(1);
      expect(sleep).not.toHaveBeenCalled();
      expect((error as GitLabRequestError).status).toBe(status);
    });

    it('does not wait for a Retry-After longer than the function can afford', async () => {
      const fetchImpl = fakeFetch(() => answer(429, { message: '429 Too Many Requests' }, { 'retry-after': '60' }));
      const { issues, sleep } = tracker(fetchImpl);
      await expect(issues.create({ title: 't', description: '', labels: [] })).rejects.toThrow(/answered 429 .*retry after 60 s/);
      expect(sleep).not.toHaveBeenCalled();
    });

    it("throws on a 401 naming the call, the status and GitLab's message, without the token, and does not retry", async () => {
      // Prepare
      const fetchImpl = fakeFetch(() => answer(401, { message: '401 Unauthorized' }));
      // Act
      const error = (await tracker(fetchImpl)
        .issues.create({ title: 't', description: '', labels: [] })
        .catch((e: unknown) => e)) as GitLabRequestError;
      // Assess
      expect(fetchImpl).toHaveBeenCalledTimes(1);
      expect(error).toBeInstanceOf(GitLabRequestError);
      expect(error.status).toBe(401);
      expect(error.message).toContain('GitLab POST /api/v4/projects/provisioning%2Ferrors/issues answered 401: 401 Unauthorized.');
      expect(error.message).toMatch(/`api` scope.*GITLAB_PROJECT_ID.*GITLAB_URL/);
      expect(error.message).not.toContain(TOKEN);
    });

    it("names GitLab's `error` field, and field errors in `message`", async () => {
      const withError = fakeFetch(() => answer(403, { error: 'insufficient_scope' }));
      await expect(tracker(withError).issues.create({ title: 't', description: '', labels: [] })).rejects.toThrow(/answered 403: insufficient_scope/);
      const withFields = fakeFetch(() => answer(400, { message: { title: ["can't be blank"] } }));
      await expect(tracker(withFields).issues.create({ title: '', description: '', labels: [] })).rejects.toThrow(/answered 400: \{"title":\["can't be blank"\]\}/);
    });

    it('throws a timeout error when GitLab does not answer in time', async () => {
      // Prepare: a fetch that answers only when the request's signal aborts, as fetch does.
      const fetchImpl = vi.fn<typeof fetch>(
        (_url, init) => new Promise<Response>((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason))),
      );
      const issues = new GitLabIssues({ url: 'https://gitlab.example.com', projectId: '42', token: TOKEN, fetch: fetchImpl, timeoutMs: 20 });
      // Act
      const error = (await issues.create({ title: 't', description: '', labels: [] }).catch((e: unknown) => e)) as GitLabRequestError;
      // Assess
      expect(error).toBeInstanceOf(GitLabRequestError);
      expect(error.message).toMatch(/^GitLab POST \/api\/v4\/projects\/42\/issues timed out after 0.02 s/);
      expect(error.status).toBeUndefined();
      expect(fetchImpl).toHaveBeenCalledTimes(1);
    });

    it('throws naming the call when GitLab cannot be reached', async () => {
      const fetchImpl = vi.fn<typeof fetch>(async () => {
        throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND gitlab.example.com') });
      });
      await expect(tracker(fetchImpl).issues.create({ title: 't', description: '', labels: [] })).rejects.toThrow(
        'GitLab POST /api/v4/projects/provisioning%2Ferrors/issues failed: fetch failed (getaddrinfo ENOTFOUND gitlab.example.com)',
      );
    });
  });

  describe('Method: fromConfig', () => {
    const KEYS = ['GITLAB_URL', 'GITLAB_PROJECT_ID', 'GITLAB_TOKEN', 'GITLAB_TOKEN_SECRET_ID'] as const;
    let saved: Record<string, string | undefined>;

    beforeEach(() => {
      saved = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]));
      for (const key of KEYS) delete process.env[key];
    });

    afterEach(() => {
      for (const key of KEYS) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      vi.unstubAllGlobals();
    });

    it('throws GitLabNotConfiguredError naming every missing setting', async () => {
      process.env.GITLAB_URL = 'https://gitlab.example.com';
      process.env.GITLAB_TOKEN = '  ';
      const error = await GitLabIssues.fromConfig().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitLabNotConfiguredError);
      expect((error as Error).message).toBe('GitLab is not configured: set GITLAB_PROJECT_ID, GITLAB_TOKEN');
    });

    it('throws GitLabNotConfiguredError when GITLAB_URL is not an absolute URL', async () => {
      Object.assign(process.env, { GITLAB_URL: 'gitlab.example.com', GITLAB_PROJECT_ID: '42', GITLAB_TOKEN: TOKEN });
      await expect(GitLabIssues.fromConfig()).rejects.toThrow(GitLabNotConfiguredError);
    });

    it('calls the configured instance and project with the configured token through the global fetch', async () => {
      // Prepare
      Object.assign(process.env, { GITLAB_URL: 'https://gitlab.example.com/', GITLAB_PROJECT_ID: 'provisioning/errors', GITLAB_TOKEN: TOKEN });
      const fetchImpl = fakeFetch(() => answer(200, []));
      vi.stubGlobal('fetch', fetchImpl);
      // Act
      await (await GitLabIssues.fromConfig()).findByMarker(MARKER);
      // Assess
      const [url, init] = fetchImpl.mock.calls[0]!;
      expect(String(url).startsWith(`${ISSUES}?`)).toBe(true);
      expect(init?.headers).toMatchObject({ 'PRIVATE-TOKEN': TOKEN });
    });
  });
});
