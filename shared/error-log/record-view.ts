/**
 * A record as GET /v1/errors/{id} answers it: the record, the runbook of its code (saved, else
 * shipped, else null) and the links to its systems of record (from the configured templates).
 *
 * flow: functions/error-log --> this module --> runbooks.ts (one GetItem) + domain/links.ts (pure)
 */
import { readSetting } from '../platform/config.js';
import { logger } from '../platform/log.js';
import { publicRecord } from './domain/record.js';
import type { ErrorRecord } from './domain/record.js';
import { InvalidLinkTemplatesError, parseLinkTemplates, subjectLinks } from './domain/links.js';
import type { LinkTemplates, SubjectLink } from './domain/links.js';
import type { Runbook } from './domain/runbooks.js';
import { getRunbook } from './runbooks.js';

export interface RecordViewDeps {
  runbook: (code: string) => Promise<Runbook | null>;
  templates: () => LinkTemplates;
  adminBaseUrl: () => string | undefined;
}

/** The configured templates; an invalid setting (refused at synth in AWS) shows no links and logs why. */
export function configuredTemplates(): LinkTemplates {
  try {
    return parseLinkTemplates(readSetting('errorLogSubjectLinks'));
  } catch (error) {
    if (!(error instanceof InvalidLinkTemplatesError)) throw error;
    logger.error('subject link templates are invalid: records show no links', { reason: error.message });
    return {};
  }
}

export const defaultRecordViewDeps: RecordViewDeps = {
  runbook: (code) => getRunbook(code),
  templates: configuredTemplates,
  adminBaseUrl: () => readSetting('adminBaseUrl'),
};

/** The runbook as a record shows it. */
const runbookOnRecord = (r: Runbook) => ({
  code: r.code,
  title: r.title,
  steps: r.steps,
  ...(r.owner ? { owner: r.owner } : {}),
  ...(r.links?.length ? { links: r.links } : {}),
  source: r.source,
});

/** The record with its runbook and links (the answer of GET and PATCH /v1/errors/{id}). */
export async function recordView(record: ErrorRecord, deps: RecordViewDeps = defaultRecordViewDeps) {
  const runbook = await deps.runbook(record.code);
  const links: SubjectLink[] = subjectLinks(deps.templates(), record, deps.adminBaseUrl());
  return { ...publicRecord(record), runbook: runbook ? runbookOnRecord(runbook) : null, links };
}
