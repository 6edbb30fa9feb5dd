/**
 * Every event the service consumes or publishes, with its zod schema: the contract. `npm run schemas`
 * writes them as JSON Schema to docs/events/, and the stack registers them in an EventBridge schema
 * registry.
 */
import * as z from '../platform/zod.js';
import { CUSTOMER_BILLING_ACCOUNT_SET, billingAccountSetDetail } from '../billing-accounts/schemas.js';
import { commandSpecs } from '../lifecycle/specs.js';
import { COMMERCE_SOURCE, SERVICE_SOURCE } from './manifest.js';
import { NAMESPACE_SUBSCRIPTION_CHANGED, namespaceSubscriptionChanged } from '../lifecycle/events.js';
import { AUDIT_FINDING, PROVISIONING_FAILED, auditFinding, provisioningFailed } from '../platform/failure-events.js';
import { REVENUE_ERROR_REPORTED, revenueErrorReport } from '../error-log/domain/report.js';
import { ISSUE_RESOLUTION_CONTINUED, issueResolutionContinued } from '../error-log/domain/gitlab-webhook.js';

export interface CatalogEntry {
  source: string;
  detailType: string;
  direction: 'in' | 'out';
  detail: z.ZodMiniType;
}

export const eventCatalog: readonly CatalogEntry[] = [
  // The lifecycle commands, from the command table (shared/lifecycle/commands.ts, through its specs).
  ...Object.values(commandSpecs).map((spec) => ({ source: COMMERCE_SOURCE, detailType: spec.detailType, direction: 'in' as const, detail: spec.detail })),
  { source: COMMERCE_SOURCE, detailType: CUSTOMER_BILLING_ACCOUNT_SET, direction: 'in', detail: billingAccountSetDetail },
  { source: SERVICE_SOURCE, detailType: NAMESPACE_SUBSCRIPTION_CHANGED, direction: 'out', detail: namespaceSubscriptionChanged },
  { source: SERVICE_SOURCE, detailType: PROVISIONING_FAILED, direction: 'out', detail: provisioningFailed },
  { source: SERVICE_SOURCE, detailType: AUDIT_FINDING, direction: 'out', detail: auditFinding },
  // A failure another system reports: from the customers portal, or relayed by POST /v1/errors.
  { source: COMMERCE_SOURCE, detailType: REVENUE_ERROR_REPORTED, direction: 'in', detail: revenueErrorReport },
  { source: SERVICE_SOURCE, detailType: REVENUE_ERROR_REPORTED, direction: 'out', detail: revenueErrorReport },
  // Published and consumed by the service itself (gitlab-webhook continues a closed issue's resolution).
  { source: SERVICE_SOURCE, detailType: ISSUE_RESOLUTION_CONTINUED, direction: 'out', detail: issueResolutionContinued },
];

/** A file-name-safe name: `Audit Finding` of `provisioning-service` → `provisioning-service.audit-finding`. */
export const schemaName = (entry: CatalogEntry) => `${entry.source}.${entry.detailType.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;

/** The JSON Schema (draft 4, as the EventBridge schema registry takes it) of an event's detail. */
export function detailJsonSchema(entry: CatalogEntry): Record<string, unknown> {
  return {
    ...z.toJSONSchema(entry.detail, { target: 'draft-4', io: 'input', unrepresentable: 'any' }),
    title: entry.detailType,
    description: `detail of "${entry.detailType}" (source ${entry.source}; ${entry.direction === 'in' ? 'consumed' : 'published'} by the Provisioning Service)`,
  };
}

/** File name → file text of every schema under docs/events/. */
export function renderEventSchemas(): Map<string, string> {
  return new Map(eventCatalog.map((entry) => [`${schemaName(entry)}.json`, `${JSON.stringify(detailJsonSchema(entry), null, 2)}\n`]));
}
