/**
 * The jobs there are, by name: each is a function of its own (manifest), run by its schedule and by
 * `POST /v1/jobs/<name>/runs`. Only the names, so a function can list them without loading any job.
 */
export const JOB_NAMES = ['reconciliation-audit', 'daily-digest', 'weekly-digest'] as const;

export type JobName = (typeof JOB_NAMES)[number];

/** The operator route that runs `name` now. */
export const jobRunPath = (name: string): string => `/v1/jobs/${name}/runs`;
