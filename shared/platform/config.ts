/**
 * Settings and secrets functions read, declared once. A manifest entry lists the keys it needs
 * (`config`); the stack passes exactly those to the function — a setting as its value (from the
 * `provisioning:*` context), a secret as the id of a Secrets Manager secret plus a read grant — and
 * the local runtime reads the plain environment variables.
 *
 * In AWS a secret's value never sits in the environment: `readSecret` fetches it with Powertools
 * Parameters (`getSecret`, cached for five minutes per container). The Secrets Manager client loads
 * on the first read, not at cold start, and never locally.
 */

export interface SettingSpec {
  readonly kind: 'setting';
  /** The environment variable carrying the value (in AWS and locally). */
  readonly env: string;
  /** The CDK context key the stack reads the value from; unset context = unset variable. */
  readonly context: string;
  readonly description: string;
}

export interface SecretSpec {
  readonly kind: 'secret';
  /** Locally: the environment variable holding the value itself. */
  readonly env: string;
  /** In AWS: the environment variable holding the secret's ARN. */
  readonly secretIdEnv: string;
  readonly description: string;
}

export const config = {
  slackWebhookUrl: {
    kind: 'secret',
    env: 'SLACK_WEBHOOK_URL',
    secretIdEnv: 'SLACK_WEBHOOK_SECRET_ID',
    description: "Slack incoming-webhook URL the error log posts new errors to (the secret's value is the whole URL).",
  },
  gitlabToken: {
    kind: 'secret',
    env: 'GITLAB_TOKEN',
    secretIdEnv: 'GITLAB_TOKEN_SECRET_ID',
    description: 'GitLab access token (api scope on the digest project) the digests open issues with.',
  },
  gitlabWebhookSecret: {
    kind: 'secret',
    env: 'GITLAB_WEBHOOK_SECRET',
    secretIdEnv: 'GITLAB_WEBHOOK_SECRET_ID',
    description: "The secret token of GitLab's issue webhook (sent as X-Gitlab-Token).",
  },
  gitlabUrl: {
    kind: 'setting',
    env: 'GITLAB_URL',
    context: 'provisioning:gitlabUrl',
    description: 'Base URL of the GitLab instance the digests open issues on, e.g. https://gitlab.example.com.',
  },
  gitlabProjectId: {
    kind: 'setting',
    env: 'GITLAB_PROJECT_ID',
    context: 'provisioning:gitlabProjectId',
    description: 'Id or full path of the GitLab project digest issues are opened in.',
  },
  adminBaseUrl: {
    kind: 'setting',
    env: 'ADMIN_BASE_URL',
    context: 'provisioning:adminBaseUrl',
    description: 'Base URL of the admin page (links in Slack messages and digests); defaults to the API URL.',
  },
  maxFutureSkewSeconds: {
    kind: 'setting',
    env: 'MAX_FUTURE_SKEW_SECONDS',
    context: 'provisioning:maxFutureSkewSeconds',
    description:
      "How far after the service's clock an occurredAt or measuredAt may lie (seconds, default 300); later is invalid input, so a wrong clock on the commerce side cannot freeze a namespace.",
  },
  planCatalog: {
    kind: 'setting',
    env: 'PLAN_CATALOG',
    context: 'provisioning:planCatalog',
    description:
      'The plan catalog as JSON, {"free": [...], "trial": [...], "paid": [...]}: which codes are accepted, and which are billed (paid); default GitLab\'s plans.',
  },
  errorLogNoiseCodes: {
    kind: 'setting',
    env: 'ERROR_LOG_NOISE_CODES',
    context: 'provisioning:errorLogNoiseCodes',
    description: 'Comma-separated error codes the error log drops (and counts) instead of storing: the built-in noise rules default-<code>.',
  },
  errorLogSubjectLinks: {
    kind: 'setting',
    env: 'ERROR_LOG_SUBJECT_LINKS',
    context: 'provisioning:errorLogSubjectLinks',
    description: 'Links to systems of record: JSON subjectKind → https URL template with {subject} (and {adminBaseUrl}).',
  },
  flagsCacheTtlSeconds: {
    kind: 'setting',
    env: 'FLAGS_CACHE_TTL_SECONDS',
    context: 'provisioning:flagsCacheTtlSeconds',
    description: 'How long a function keeps a feature flag it read (whole seconds, default 30; 0 reads the flags table at every evaluation): the longest a flag change takes to apply everywhere.',
  },
} as const satisfies Record<string, SettingSpec | SecretSpec>;

export type ConfigKey = keyof typeof config;

/** A setting's value for this process, or undefined when unset or blank. */
export function readSetting(key: ConfigKey): string | undefined {
  const value = process.env[config[key].env]?.trim();
  return value ? value : undefined;
}

/**
 * A secret's value: from Secrets Manager when the stack passed its id, else (locally) from the plain
 * environment variable. Undefined when neither is set.
 */
export async function readSecret(key: keyof { [K in ConfigKey as (typeof config)[K]['kind'] extends 'secret' ? K : never]: true }): Promise<string | undefined> {
  const spec = config[key];
  const secretId = process.env[spec.secretIdEnv];
  if (secretId) {
    const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
    const value = await getSecret(secretId, { maxAge: 300 });
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  }
  return readSetting(key);
}
