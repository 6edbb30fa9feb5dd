/**
 * What the jobs offer the features that define a job (the audit, the error log's digests): the
 * `Job` a feature implements, the job names and their operator route, and that route's body.
 * The runner (run.ts, scheduled.ts) is for functions/<job>/handler.ts only.
 */
export type { Job, JobContext } from './job.js';
export { JOB_NAMES, jobRunPath } from './names.js';
export type { JobName } from './names.js';
export { jobRunBody } from './schemas.js';
export { jobRunTrigger, unknownJobTrigger } from './manifest.js';
