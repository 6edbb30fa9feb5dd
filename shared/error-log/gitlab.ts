/**
 * The GitLab port of the digests, with its one adapter on `@gitbeaker/rest` (GitLab's REST API v4):
 * find an issue by the digest's marker, open one. Configured by GITLAB_URL, GITLAB_PROJECT_ID and
 * GITLAB_TOKEN (Secrets Manager in AWS).
 */
import { Issues } from '@gitbeaker/rest';
import { readSecret, readSetting } from '../config.js';

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

interface IssueLike {
  iid?: unknown;
  web_url?: unknown;
  title?: unknown;
}

function toRef(issue: IssueLike): IssueRef {
  if (typeof issue.iid !== 'number' || typeof issue.web_url !== 'string') {
    throw new Error('GitLab answered an issue without iid or web_url: check GITLAB_URL points at the GitLab API');
  }
  return { iid: issue.iid, url: issue.web_url };
}

export class GitLabIssues implements IssueTracker {
  private constructor(
    private readonly api: InstanceType<typeof Issues>,
    private readonly projectId: string,
  ) {}

  /**
   * The tracker for this process's configuration.
   * @throws GitLabNotConfiguredError naming what is missing.
   */
  static async fromConfig(): Promise<GitLabIssues> {
    const host = readSetting('gitlabUrl');
    const projectId = readSetting('gitlabProjectId');
    const token = await readSecret('gitlabToken');
    const missing = [!host && 'GITLAB_URL', !projectId && 'GITLAB_PROJECT_ID', !token && 'GITLAB_TOKEN'].filter(Boolean);
    if (missing.length) throw new GitLabNotConfiguredError(`GitLab is not configured: set ${missing.join(', ')}`);
    return new GitLabIssues(new Issues({ host: host!, token: token!, queryTimeout: 10_000 }), projectId!);
  }

  async findByMarker(marker: string): Promise<IssueRef | undefined> {
    const found = (await this.api.all({ projectId: this.projectId, search: marker, in: 'title', state: 'all', perPage: 20, maxPages: 1 })) as IssueLike[];
    const match = found.find((issue) => typeof issue.title === 'string' && issue.title.includes(marker));
    return match ? toRef(match) : undefined;
  }

  async create(input: { title: string; description: string; labels: readonly string[] }): Promise<IssueRef> {
    const issue = (await this.api.create(this.projectId, input.title, { description: input.description, labels: input.labels.join(',') })) as IssueLike;
    return toRef(issue);
  }
}
