/**
 * The lifecycle commands: ONE entry per command type, and everything else derives from it — the
 * specs the handler parses with (./specs.ts), the manifest's functions with their route and event
 * pattern (./manifest.ts), the OpenAPI route docs (through the manifest) and the event catalog's
 * inbound events (shared/service/event-catalog.ts). Each detail-type is written here and nowhere
 * else.
 *
 * Adding a command (README "Adding a lifecycle command"): its type and rule in ./domain/, its body
 * schema in ./schemas.ts, an entry here, and functions/<function.name>/handler.ts.
 */
import * as z from '../platform/zod.js';
import type { HttpMethod } from '../platform/manifest-types.js';
import { namespacePath, subscriptionPath } from '../platform/schemas.js';
import type { CommandType } from './domain/types.js';

/**
 * The commands the commerce side sends (HTTP and EventBridge). A correction of the seat statistics
 * is a lifecycle command too, but an operator's, with its own route (./corrections.ts).
 */
export type CommerceCommandType = Exclude<CommandType, 'seatStatisticsCorrected'>;
import * as s from './schemas.js';

export interface CommandDefinition<K extends CommerceCommandType = CommerceCommandType> {
  readonly type: K;
  /** Its Lambda; functions/<name>/handler.ts serves this command and no other. */
  readonly function: { readonly name: string; readonly description: string; readonly entry: string };
  /** Its HTTP route (auth `service`; every command route takes `?dryRun=true`). */
  readonly route: { readonly method: HttpMethod; readonly path: string };
  /** Its EventBridge detail-type, source `customers-portal`; the detail is the body plus the path ids. */
  readonly detailType: string;
  /** Which id addresses the state: a subscription (resolved to its namespace) or a namespace. */
  readonly addressedBy: 'subscription' | 'namespace';
  /** The route's path parameters: exactly the `{name}`s of `route.path`. */
  readonly path: z.ZodMiniObject;
  readonly body: z.ZodMiniObject;
  /** Checks of the whole body beyond its fields (a period's end after its start); applied to the detail too. */
  readonly checks?: ReadonlyArray<z.core.$ZodCheck<never>>;
  /** Its OpenAPI summary; the detail-type when absent. */
  readonly summary?: string;
}

/** A command whose route has no path parameter: its ids are in the body. */
const noPath = z.strictObject({});

export const commands = {
  created: {
    type: 'created',
    function: {
      name: 'subscription-created',
      description: 'Applies Subscription Created: a new paid term on a namespace (converts a trial).',
      entry: 'functions/subscription-created/handler.ts',
    },
    route: { method: 'POST', path: '/v1/subscriptions' },
    detailType: 'Subscription Created',
    addressedBy: 'namespace',
    path: noPath,
    body: s.createdBody,
    checks: [s.endsAfterStart('startDate', 'endDate')],
  },
  renewed: {
    type: 'renewed',
    function: {
      name: 'subscription-renewed',
      description: 'Applies Subscription Renewed: a new term, the seat peak starts again.',
      entry: 'functions/subscription-renewed/handler.ts',
    },
    route: { method: 'POST', path: '/v1/subscriptions/{subscriptionId}/renewals' },
    detailType: 'Subscription Renewed',
    addressedBy: 'subscription',
    path: subscriptionPath,
    body: s.renewedBody,
    checks: [s.endsAfterStart('startDate', 'endDate')],
  },
  entitlementsUpdated: {
    type: 'entitlementsUpdated',
    function: {
      name: 'entitlements-updated',
      description: 'Applies Subscription Entitlements Updated: mid-term seats, plan or reconciliation date.',
      entry: 'functions/entitlements-updated/handler.ts',
    },
    route: { method: 'POST', path: '/v1/subscriptions/{subscriptionId}/entitlements' },
    detailType: 'Subscription Entitlements Updated',
    addressedBy: 'subscription',
    path: subscriptionPath,
    body: s.entitlementsBody,
  },
  expired: {
    type: 'expired',
    function: {
      name: 'subscription-expired',
      description: 'Applies Subscription Expired: the namespace returns to free, nothing owed.',
      entry: 'functions/subscription-expired/handler.ts',
    },
    route: { method: 'POST', path: '/v1/subscriptions/{subscriptionId}/expiry' },
    detailType: 'Subscription Expired',
    addressedBy: 'subscription',
    path: subscriptionPath,
    body: s.expiredBody,
  },
  trialStarted: {
    type: 'trialStarted',
    function: {
      name: 'trial-started',
      description: 'Applies Trial Started on a namespace.',
      entry: 'functions/trial-started/handler.ts',
    },
    route: { method: 'POST', path: '/v1/namespaces/{namespaceId}/trials' },
    detailType: 'Trial Started',
    addressedBy: 'namespace',
    path: namespacePath,
    body: s.trialStartedBody,
    checks: [s.endsAfterStart('trialStartsOn', 'trialEndsOn')],
  },
  trialEnded: {
    type: 'trialEnded',
    function: {
      name: 'trial-ended',
      description: 'Applies Trial Ended: back to free unless a paid term is active.',
      entry: 'functions/trial-ended/handler.ts',
    },
    route: { method: 'POST', path: '/v1/namespaces/{namespaceId}/trials/end' },
    detailType: 'Trial Ended',
    addressedBy: 'namespace',
    path: namespacePath,
    body: s.trialEndedBody,
  },
  trialExtended: {
    type: 'trialExtended',
    function: {
      name: 'trial-extended',
      description: "Applies Trial Extended: the running trial's last day moves (same start).",
      entry: 'functions/trial-extended/handler.ts',
    },
    route: { method: 'POST', path: '/v1/namespaces/{namespaceId}/trials/extensions' },
    detailType: 'Trial Extended',
    addressedBy: 'namespace',
    path: namespacePath,
    body: s.trialExtendedBody,
  },
  reconciliationCompleted: {
    type: 'reconciliationCompleted',
    function: {
      name: 'reconciliation-completed',
      description: "Applies Reconciliation Completed: seats of a term's overage were billed; what the term owes drops.",
      entry: 'functions/reconciliation-completed/handler.ts',
    },
    route: { method: 'POST', path: '/v1/subscriptions/{subscriptionId}/reconciliations' },
    detailType: 'Reconciliation Completed',
    addressedBy: 'subscription',
    path: subscriptionPath,
    body: s.reconciliationBody,
  },
  seatUsageReported: {
    type: 'seatUsageReported',
    function: {
      name: 'seat-usage-reported',
      description: 'Applies Seat Usage Reported: the daily measurement of seats in use.',
      entry: 'functions/seat-usage-reported/handler.ts',
    },
    route: { method: 'PUT', path: '/v1/namespaces/{namespaceId}/seat-usage' },
    detailType: 'Seat Usage Reported',
    addressedBy: 'namespace',
    path: namespacePath,
    body: s.seatUsageBody,
  },
} as const satisfies { readonly [K in CommerceCommandType]: CommandDefinition<K> };

/** Every command's entry, in the table's order. */
export const commandDefinitions: readonly CommandDefinition[] = Object.values(commands);
