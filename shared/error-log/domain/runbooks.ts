/**
 * Runbooks: what to do about an error code ("document fixes or processes for 3rd-party errors, like
 * Zuora unavailability"). The service's own codes ship with one (below); an operator's saved
 * runbook for a code replaces the shipped one. Pure: the contract, the defaults, the choice.
 */

import { DEFAULT_RUNBOOK_TITLES } from './runbook-titles.js';
import type { DefaultRunbookCode } from './runbook-titles.js';

export { runbookAdminLink } from './runbook-titles.js';

export interface RunbookSpec {
  title: string;
  steps: string;
  owner?: string;
  links?: { title: string; url: string }[];
}

/** A runbook as a record shows it. */
export interface Runbook extends RunbookSpec {
  code: string;
  /** `default`: shipped with the service; `stored`: saved by an operator (it replaces the shipped one). */
  source: 'default' | 'stored';
}

/** The spec of a body, normalised (no undefined fields): the same PUT again compares equal. */
export function runbookSpecOf(body: RunbookSpec): RunbookSpec {
  return {
    title: body.title,
    steps: body.steps,
    ...(body.owner ? { owner: body.owner } : {}),
    ...(body.links?.length ? { links: body.links.map((l) => ({ title: l.title, url: l.url })) } : {}),
  };
}

export function sameRunbook(a: RunbookSpec | null, b: RunbookSpec | null): boolean {
  if (a === null || b === null) return a === b;
  return JSON.stringify(runbookSpecOf(a)) === JSON.stringify(runbookSpecOf(b));
}

const OWNER = 'Provisioning team';

const audit = (what: string, check: string, fix: string): Omit<RunbookSpec, 'title'> => ({
  owner: OWNER,
  steps: [
    `The daily reconciliation audit found ${what}. The subject names the subscription (or customer); the payload has its ids and dates.`,
    '',
    '## Check',
    check,
    '',
    '## Fix',
    fix,
    '',
    '## Close',
    '- Once fixed, the next audit run resolves this record by itself (or run it now: Jobs → `reconciliation-audit`).',
    '- If it is a false finding, resolve the record with a note saying why.',
  ].join('\n'),
});

/**
 * The runbooks shipped for every code the service emits: each audit finding, the async failures
 * (a Lambda onFailure record), the codes of a 5xx (`Provisioning Failed`) and
 * `subscription_not_held`. test/unit/error-log/runbooks.test.ts derives those codes from the code
 * that emits them and checks each has one here.
 */
const SHIPPED: Readonly<Record<DefaultRunbookCode, Omit<RunbookSpec, 'title'>>> = {
  renewal_not_processed: audit(
    'an auto-renewing term that ended without a renewal',
    '- Open the namespace in the admin page and compare its term end with the subscription in Zuora.\n- Look for a Subscription Renewed event that failed: an `async_handler_failed` record for `subscription-renewed`.',
    '- If Zuora renewed it, send the Subscription Renewed event again from the commerce side (same eventId: it is applied at most once).\n- If Zuora did not renew it, ask Billing whether it should have; if not, expire it.',
  ),
  reconciliation_not_processed: audit(
    'a reconciliation date that passed with seats owed',
    '- Open the namespace: the seat statistics show the peak over the paid seats.\n- Check in Zuora whether the reconciliation invoice exists.',
    '- If Zuora billed it, send the Reconciliation Completed event again from the commerce side.\n- If not, raise it with Billing: the overage is unbilled revenue.',
  ),
  expiry_not_processed: audit(
    'a term that ended, not auto-renewing, still active',
    '- Open the namespace and the subscription in Zuora: was it cancelled, or renewed by hand?',
    '- If it ended, send Subscription Expired again from the commerce side.\n- If it was renewed, send the renewal.',
  ),
  trial_not_ended: audit(
    'a trial whose end date passed',
    '- Open the namespace: trial dates and plan.\n- Look for a failed Trial Ended event (an `async_handler_failed` record).',
    '- Send Trial Ended again (same eventId), or extend the trial if Sales agreed to.',
  ),
  broken_association: audit(
    'a subscription and a namespace not pointing at each other',
    '- Open both namespaces the payload names; check which one the customer uses.',
    '- Use Force reassociation (admin page) to point the subscription at the right namespace, with reason `broken_association`.',
  ),
  billing_account_drift: audit(
    "a customer's billing account membership out of step with their zuoraAccountId",
    "- Compare the customer's `zuoraAccountId` with the billing account membership in the payload.",
    '- Send the Billing Account Set event again for the customer, or set it with `PUT /v1/customers/{customerId}/billing-account`.',
  ),
  async_handler_failed: {
    owner: OWNER,
    steps: [
      'A function triggered by an event (or a schedule) failed on every attempt; the event was not applied.',
      '',
      '## Check',
      '- The subject names the function, the event and the error type; the payload holds the event (redacted) and the backtrace.',
      '- An `InvalidInputError` means the sender sent a bad event: tell the sender (commerce platform) what the message says.',
      '- Any other error: search the function\'s logs for the request id in the payload.',
      '',
      '## Fix',
      '- Once the cause is fixed, send the event again with the same eventId: it is applied at most once.',
      '- Resolve the record with a note.',
    ].join('\n'),
  },
  async_handler_timed_out: {
    owner: OWNER,
    steps: [
      'A function ran out of time on every attempt; the event may be partly applied (every step is idempotent).',
      '',
      '- Look at the function\'s duration metric and the database\'s throttling on the dashboard.',
      '- Send the event again with the same eventId once the dependency is back: it is applied at most once.',
    ].join('\n'),
  },
  async_event_expired: {
    owner: OWNER,
    steps: [
      'Lambda gave up on an event older than its maximum age (the function was throttled or failing for hours).',
      '',
      '- Find what stopped the function (dashboard: throttles, errors, concurrency).',
      '- Send the event again with the same eventId (from the commerce side, or replay it from the bus archive).',
    ].join('\n'),
  },
  internal_error: {
    owner: OWNER,
    steps: [
      'A request failed inside the service (the caller got a generic 500 and can retry).',
      '',
      '- The subject is the route; the payload has the request id and the redacted body; the backtrace shows where.',
      '- Search the function\'s logs for the request id; fix the cause, then resolve the record.',
    ].join('\n'),
  },
  unavailable: {
    owner: OWNER,
    steps: [
      'The database (or a flag) could not be read; callers were told to retry after Retry-After, and a retry applies at most once.',
      '',
      '- Check the DynamoDB throttling and error metrics on the dashboard, and the AWS Health dashboard.',
      '- Nothing to replay: callers retry. Resolve the record once the dependency is back.',
    ].join('\n'),
  },
  subscription_not_held: {
    owner: OWNER,
    steps: [
      "The subscription's namespace now holds another subscription (or none): the command was not applied, so the customer may not be provisioned.",
      '',
      '- Open the namespace from the payload and the subscription in Zuora: which namespace should the customer be on?',
      '- Force reassociation (admin page) to the right namespace, then send the command again (same eventId).',
    ].join('\n'),
  },
  provisioning_failed: {
    owner: OWNER,
    steps: [
      'A purchase or change was paid for but the namespace was not provisioned.',
      '',
      '- Open the namespace and the subscription in Zuora; compare plan, seats and term.',
      '- Send the lifecycle event again with the same eventId, or apply it from the admin page; resolve the record with a note.',
    ].join('\n'),
  },
};

export const DEFAULT_RUNBOOKS: Readonly<Record<string, RunbookSpec>> = Object.fromEntries(
  Object.entries(SHIPPED).map(([code, runbook]) => [code, { title: DEFAULT_RUNBOOK_TITLES[code as DefaultRunbookCode], ...runbook }]),
);

/** The runbook of `code`: the saved one, else the shipped one, else none. */
export function runbookFor(code: string, stored: RunbookSpec | null | undefined): Runbook | null {
  if (stored) return { code, source: 'stored', ...stored };
  const shipped = Object.hasOwn(DEFAULT_RUNBOOKS, code) ? DEFAULT_RUNBOOKS[code] : undefined;
  return shipped ? { code, source: 'default', ...shipped } : null;
}

