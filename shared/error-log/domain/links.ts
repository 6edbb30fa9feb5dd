/**
 * Links to the systems of record ("accessing different systems to verify data"): a URL template
 * per `subjectKind`, set in the configuration (`ERROR_LOG_SUBJECT_LINKS`, CDK context
 * `provisioning:errorLogSubjectLinks`), e.g.
 *   {"zuora_account": "https://zuora.example.com/accounts/{subject}",
 *    "namespace": "{adminBaseUrl}/admin#/namespaces/{subject}"}
 * A record whose subjectKind has a template shows the link, its subject URL-encoded. Pure.
 */
import { SUBJECT_KINDS } from './sources.js';
import type { SubjectKind } from './sources.js';

export type LinkTemplates = Partial<Record<SubjectKind, string>>;

export interface SubjectLink {
  kind: SubjectKind;
  url: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const ALLOWED = new Set(['subject', 'adminBaseUrl']);
const MAX_TEMPLATE_CHARS = 1_000;
/** Links are bounded in bytes (a long non-ASCII subject): a longer one is not shown. */
const MAX_URL_BYTES = 2_048;

export class InvalidLinkTemplatesError extends Error {
  override readonly name = 'InvalidLinkTemplatesError';
}

function fill(template: string, subject: string, adminBaseUrl: string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => (name === 'subject' ? encodeURIComponent(subject) : adminBaseUrl.replace(/\/$/, '')));
}

/**
 * The templates of a configured value (JSON text). Unset or blank: none.
 *
 * @throws InvalidLinkTemplatesError naming what is wrong: not a JSON object, an unknown subjectKind,
 *   a placeholder other than {subject} and {adminBaseUrl}, no {subject}, or not an https URL once filled.
 * @example
 * parseLinkTemplates('{"zuora_account":"https://zuora.example.com/accounts/{subject}"}')
 */
export function parseLinkTemplates(text: string | undefined): LinkTemplates {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidLinkTemplatesError('ERROR_LOG_SUBJECT_LINKS is not JSON: give an object of subjectKind → URL template');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidLinkTemplatesError('ERROR_LOG_SUBJECT_LINKS must be a JSON object of subjectKind → URL template');
  }
  const templates: LinkTemplates = {};
  for (const [kind, template] of Object.entries(value)) {
    if (!(SUBJECT_KINDS as readonly string[]).includes(kind)) {
      throw new InvalidLinkTemplatesError(`ERROR_LOG_SUBJECT_LINKS: "${kind}" is not a subjectKind (${SUBJECT_KINDS.join(', ')})`);
    }
    if (typeof template !== 'string' || template.length > MAX_TEMPLATE_CHARS) {
      throw new InvalidLinkTemplatesError(`ERROR_LOG_SUBJECT_LINKS.${kind} must be a URL template of at most ${MAX_TEMPLATE_CHARS} characters`);
    }
    const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
    const unknown = names.find((n) => !ALLOWED.has(n));
    if (unknown !== undefined) {
      throw new InvalidLinkTemplatesError(`ERROR_LOG_SUBJECT_LINKS.${kind}: {${unknown}} is not a placeholder; use {subject} and {adminBaseUrl}`);
    }
    if (!names.includes('subject')) throw new InvalidLinkTemplatesError(`ERROR_LOG_SUBJECT_LINKS.${kind} must contain {subject}`);
    let url: URL;
    try {
      url = new URL(fill(template, 'S-1 / ü', 'https://admin.example.com'));
    } catch {
      throw new InvalidLinkTemplatesError(`ERROR_LOG_SUBJECT_LINKS.${kind} is not a URL once filled in: ${template}`);
    }
    if (url.protocol !== 'https:') throw new InvalidLinkTemplatesError(`ERROR_LOG_SUBJECT_LINKS.${kind} must be an https URL: ${template}`);
    templates[kind as SubjectKind] = template;
  }
  return templates;
}

/**
 * The links of a record: its subjectKind's template with the subject URL-encoded. None without a
 * subjectKind, a template, or (for a template that uses it) an admin base URL.
 *
 * @example
 * subjectLinks({ zuora_account: 'https://z.example/accounts/{subject}' }, { subject: 'A 1', subjectKind: 'zuora_account' })
 * // [{ kind: 'zuora_account', url: 'https://z.example/accounts/A%201' }]
 */
export function subjectLinks(
  templates: LinkTemplates,
  record: { subject: string; subjectKind: SubjectKind | null },
  adminBaseUrl?: string,
): SubjectLink[] {
  if (!record.subjectKind || !record.subject) return [];
  const template = templates[record.subjectKind];
  if (!template) return [];
  if (template.includes('{adminBaseUrl}') && !adminBaseUrl) return [];
  const url = fill(template, record.subject, adminBaseUrl ?? '');
  if (new TextEncoder().encode(url).length > MAX_URL_BYTES) return [];
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return [];
  } catch {
    return [];
  }
  return [{ kind: record.subjectKind, url }];
}
