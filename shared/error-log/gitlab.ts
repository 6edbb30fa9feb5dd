/**
 * The GitLab port of the digests, and its one adapter: two documented calls of GitLab's REST API v4,
 * `GET /projects/:id/issues` (find an issue by the digest's marker) and `POST /projects/:id/issues`
 * (open one), authenticated with a `PRIVATE-TOKEN` header, on Node's global `fetch`. Configured by
 * GITLAB_URL (the instance root, e.g. https://gitlab.com), GITLAB_PROJECT_ID and GITLAB_TOKEN
 * (Secrets Manager in AWS).
 *
 * Why not `@gitbeaker/rest`: for these two calls it put ~235 KB minified into every bundle that
 * opens digests (@gitbeaker/core's resource catalogue 92 KB, rate-limiter-flexible 65 KB, qs and its
 * helpers ~50 KB; even `Issues` alone with requester-utils is 150 KB) against a limit of 150 KB per
 * bundle. What it gave us is kept here: a 10 s timeout per request, retries of throttled and
 * unavailable answers (honouring `Retry-After`; see RETRIED), and errors that say what to check.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { readSecret, readSetting } from '../platform/config.js';

export interface IssueRef {
  iid: number;
  /** The issue's web URL: what records store as `gitlabIssueLink` and what the webhook reports. */
  url: string;
}

export interface IssueTracker {
  /** An issue (open or closed) whose title contains `marker`, if any. */
  findByMarker(marker: string): Promise<IssueRef | undefined>;
  create(input: { title: string; description: string; labels: readonly string[] }): Promise<IssueRef>;
}

export class GitLabNotConfiguredError extends Error {
  override readonly name = 'GitLabNotConfiguredError';
}

/** A GitLab call that failed: an error answer (`status`), a timeout or a network error (no `status`). */
export class GitLabRequestError extends Error {
  override readonly name = 'GitLabRequestError';

  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

interface IssueLike {
  iid?: unknown;
  web_url?: unknown;
  title?: unknown;
}

function toRef(issue: IssueLike): IssueRef {
  if (typeof issue.iid !== 'number' || typeof issue.web_url !== 'string') {
    throw new Error('GitLab answered an issue without iid or web_url: check that GITLAB_URL is the GitLab instance root (e.g. https://gitlab.com)');
  }
  return { iid: issue.iid, url: issue.web_url };
}

export interface GitLabIssuesOptions {
  /** The instance root, e.g. https://gitlab.com (with or without a trailing `/`). */
  url: string;
  /** Numeric id or full path (`group/project`) of the project. */
  projectId: string;
  token: string;
  /** Defaults to the global `fetch`; tests pass a fake. */
  fetch?: typeof fetch;
  /** Waits between attempts; tests pass one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

const TIMEOUT_MS = 10_000;
/** The first attempt and 3 retries. */
const MAX_ATTEMPTS = 4;
/** Backoff before retry n (1-based) when GitLab sends no Retry-After: 500 ms, 1 s, 2 s. */
const backoffMs = (retry: number): number => 500 * 2 ** (retry - 1);
/** A longer Retry-After is not waited for: the digest functions have 29 s (API) to 120 s (schedule). */
const MAX_RETRY_WAIT_MS = 10_000;
/**
 * What is retried. A read: throttled (429) or a gateway/unavailable answer in front of GitLab. A
 * POST only when GitLab cannot have acted on it (429, 503): after a 502 or 504 the issue may exist,
 * and the digest's next run finds it by its marker instead of opening a second one.
 */
const RETRIED = { GET: new Set([429, 502, 503, 504]), POST: new Set([429, 503]) } as const;

const CHECK =
  'Check GITLAB_TOKEN (a token with the `api` scope that can create issues in the project), GITLAB_PROJECT_ID (numeric id or full path) and GITLAB_URL (the instance root, e.g. https://gitlab.com, without /api/v4).';

/** `Retry-After` in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header?.trim()) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** GitLab's explanation in an error answer: its `message` (a string or field errors) or `error`. */
async function explanation(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown; error_description?: unknown };
    const reason = body.message ?? body.error_description ?? body.error;
    if (reason !== undefined) return typeof reason === 'string' ? reason : JSON.stringify(reason);
  } catch {
    // Not JSON: a proxy's or a login page's answer.
  }
  const short = text.replace(/\s+/g, ' ').trim();
  return short ? `not a GitLab API answer: ${short.slice(0, 200)}` : 'no explanation';
}

/** GitLab's REST API v4 issues of one project, on `fetch`. */
export class GitLabIssues implements IssueTracker {
  private readonly issuesUrl: string;
  /** What errors name the calls by: the path, never the token (it travels only in a header). */
  private readonly issuesPath: string;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: GitLabIssuesOptions) {
    this.issuesUrl = `${options.url.replace(/\/+$/, '')}/api/v4/projects/${encodeURIComponent(options.projectId)}/issues`;
    if (!URL.canParse(this.issuesUrl)) throw new GitLabNotConfiguredError('GitLab is not configured: set GITLAB_URL to the instance root URL (e.g. https://gitlab.com)');
    this.issuesPath = new URL(this.issuesUrl).pathname;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? ((ms) => delay(ms));
  }

  /**
   * The tracker for this process's configuration.
   * @throws GitLabNotConfiguredError naming what is missing.
   */
  static async fromConfig(): Promise<GitLabIssues> {
    const url = readSetting('gitlabUrl');
    const projectId = readSetting('gitlabProjectId');
    const token = await readSecret('gitlabToken');
    const missing = [!url && 'GITLAB_URL', !projectId && 'GITLAB_PROJECT_ID', !token && 'GITLAB_TOKEN'].filter(Boolean);
    if (missing.length) throw new GitLabNotConfiguredError(`GitLab is not configured: set ${missing.join(', ')}`);
    return new GitLabIssues({ url: url!, projectId: projectId!, token: token! });
  }

  async findByMarker(marker: string): Promise<IssueRef | undefined> {
    const query = new URLSearchParams({ search: marker, in: 'title', state: 'all', per_page: '20' });
    const found = await this.request('GET', `${this.issuesUrl}?${query}`);
    if (!Array.isArray(found)) throw new GitLabRequestError(`GitLab GET ${this.issuesPath} answered something other than a list of issues. ${CHECK}`);
    // GitLab's search matches words, not the marker as a whole: only a title containing it counts.
    const match = (found as IssueLike[]).find((issue) => typeof issue?.title === 'string' && issue.title.includes(marker));
    return match ? toRef(match) : undefined;
  }

  async create(input: { title: string; description: string; labels: readonly string[] }): Promise<IssueRef> {
    const issue = await this.request('POST', this.issuesUrl, { title: input.title, description: input.description, labels: input.labels.join(',') });
    return toRef((issue ?? {}) as IssueLike);
  }

  /** One call, retried as RETRIED says; its JSON answer. */
  private async request(method: 'GET' | 'POST', url: string, body?: unknown): Promise<unknown> {
    const call = `GitLab ${method} ${this.issuesPath}`;
    const timeoutMs = this.options.timeoutMs ?? TIMEOUT_MS;
    const headers: Record<string, string> = { accept: 'application/json', 'PRIVATE-TOKEN': this.options.token };
    if (body !== undefined) headers['content-type'] = 'application/json';

    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw this.failure(call, error, timeoutMs);
      }

      if (response.ok) {
        try {
          return await response.json();
        } catch (error) {
          if (error instanceof Error && error.name === 'TimeoutError') throw this.failure(call, error, timeoutMs);
          throw new GitLabRequestError(`${call} answered ${response.status} with a body that is not JSON. ${CHECK}`, response.status, { cause: error });
        }
      }

      const reason = await explanation(response);
      const retried = RETRIED[method].has(response.status);
      if (retried && attempt < MAX_ATTEMPTS) {
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? backoffMs(attempt);
        if (wait <= MAX_RETRY_WAIT_MS) {
          await this.sleep(wait);
          continue;
        }
        throw new GitLabRequestError(`${call} answered ${response.status} (${reason}) and asks to retry after ${Math.ceil(wait / 1000)} s: run the digest again later.`, response.status);
      }
      if (retried) {
        throw new GitLabRequestError(`${call} answered ${response.status} after ${attempt} attempts: ${reason}. GitLab is throttling or unavailable: run the digest again later.`, response.status);
      }
      throw new GitLabRequestError(`${call} answered ${response.status}: ${reason}. ${CHECK}`, response.status);
    }
  }

  private failure(call: string, error: unknown, timeoutMs: number): GitLabRequestError {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return new GitLabRequestError(`${call} timed out after ${timeoutMs / 1000} s: check GITLAB_URL and that GitLab is reachable from here.`, undefined, { cause: error });
    }
    const detail = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
    return new GitLabRequestError(`${call} failed: ${detail}. Check GITLAB_URL and that GitLab is reachable from here.`, undefined, { cause: error });
  }
}
