/**
 * Where a failure happened (the reporting system, the third party, the flow, what its subject
 * names) and which record it counts on. Pure; no schema, so the stores and the audit carry no parser.
 */
import { createHash } from 'node:crypto';

/** The system this service reports its own failures as. */
export const OWN_SYSTEM = 'provisioning-service';

/** `code` and `subject` decide the record: the same failure of the same thing is one record. */
export function fingerprintOf(code: string, subject: string): string {
  return createHash('sha256').update(`${code}\n${subject}`).digest('hex');
}

/** The record id of a fingerprint: deterministic, so concurrent writers meet on one item. */
export const errorIdOf = (fingerprint: string): string => `err_${fingerprint.slice(0, 24)}`;

/** The commerce flows a failure can interrupt (the places the error log watches). */
export const FLOWS = ['purchase', 'update', 'upgrade', 'renewal', 'auto_renewal', 'reconciliation', 'catalog_sync', 'salesforce_sync', 'provisioning', 'other'] as const;
export type Flow = (typeof FLOWS)[number];

/** What a failure's subject names: which system of record holds it. */
export const SUBJECT_KINDS = ['subscription', 'customer', 'namespace', 'zuora_account', 'salesforce_object', 'order'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

/** Where a failure happened: the reporting system, the third party involved (if any), the flow. */
export interface FailureOrigin {
  /** The reporting system (`customers-portal`, …); this service's own failures: `provisioning-service`. */
  system: string;
  /** The third party involved (`zuora`, `salesforce`, …), or null. */
  integration: string | null;
  flow: Flow;
  /** What `subject` names, when the reporter said so. */
  subjectKind: SubjectKind | null;
}

