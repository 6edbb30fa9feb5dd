/**
 * The titles of the runbooks the service ships (their steps are in ./runbooks.ts), and the admin
 * page's link to a runbook: all a Slack message or a digest needs to link one, without carrying
 * every runbook's steps in their bundles.
 */
export const DEFAULT_RUNBOOK_TITLES = {
  renewal_not_processed: 'Audit: an auto-renewing term that ended without a renewal',
  reconciliation_not_processed: 'Audit: a reconciliation date that passed with seats owed',
  expiry_not_processed: 'Audit: a term that ended, not auto-renewing, still active',
  trial_not_ended: 'Audit: a trial whose end date passed',
  broken_association: 'Audit: a subscription and a namespace not pointing at each other',
  billing_account_drift: "Audit: a customer's billing account membership out of step with their zuoraAccountId",
  async_handler_failed: 'An event handler kept failing',
  async_handler_timed_out: 'An event handler timed out',
  async_event_expired: 'An event expired before it could be handled',
  internal_error: 'The service answered 500',
  unavailable: 'The service could not reach a dependency (503)',
  subscription_not_held: 'A command for a subscription its namespace no longer holds',
  provisioning_failed: 'Provisioning failed',
} as const;

export type DefaultRunbookCode = keyof typeof DEFAULT_RUNBOOK_TITLES;

/** The title of the runbook shipped for `code`, if one is. */
export const defaultRunbookTitle = (code: string): string | undefined =>
  Object.hasOwn(DEFAULT_RUNBOOK_TITLES, code) ? DEFAULT_RUNBOOK_TITLES[code as DefaultRunbookCode] : undefined;

/** The admin page's view of a runbook. */
export const runbookAdminLink = (adminBaseUrl: string, code: string): string => `${adminBaseUrl.replace(/\/$/, '')}/admin#/runbooks/${encodeURIComponent(code)}`;
