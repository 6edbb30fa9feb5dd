/** The lifecycle commands, their reads and the outbox. */
import { COMMERCE_SOURCE } from '../platform/manifest-types.js';
import type { EventTrigger, FunctionSpec } from '../platform/manifest-types.js';

const commerceEvent = (detailType: string): EventTrigger => ({
  kind: 'event',
  pattern: { source: [COMMERCE_SOURCE], 'detail-type': [detailType] },
});

const commandTables = { state: 'readWrite', idempotency: 'readWrite' } as const;

export const lifecycleFunctions: readonly FunctionSpec[] = [
  {
    name: 'subscription-created',
    description: 'Applies Subscription Created: a new paid term on a namespace (converts a trial).',
    entry: 'functions/subscription-created/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/subscriptions', auth: 'service' },
      commerceEvent('Subscription Created'),
    ],
    tables: commandTables,
  },
  {
    name: 'subscription-renewed',
    description: 'Applies Subscription Renewed: a new term, the seat peak starts again.',
    entry: 'functions/subscription-renewed/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/subscriptions/{subscriptionId}/renewals', auth: 'service' },
      commerceEvent('Subscription Renewed'),
    ],
    tables: commandTables,
  },
  {
    name: 'entitlements-updated',
    description: 'Applies Subscription Entitlements Updated: mid-term seats, plan or reconciliation date.',
    entry: 'functions/entitlements-updated/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/subscriptions/{subscriptionId}/entitlements', auth: 'service' },
      commerceEvent('Subscription Entitlements Updated'),
    ],
    tables: commandTables,
  },
  {
    name: 'subscription-expired',
    description: 'Applies Subscription Expired: the namespace returns to free, nothing owed.',
    entry: 'functions/subscription-expired/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/subscriptions/{subscriptionId}/expiry', auth: 'service' },
      commerceEvent('Subscription Expired'),
    ],
    tables: commandTables,
  },
  {
    name: 'trial-started',
    description: 'Applies Trial Started on a namespace.',
    entry: 'functions/trial-started/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/namespaces/{namespaceId}/trials', auth: 'service' },
      commerceEvent('Trial Started'),
    ],
    tables: commandTables,
  },
  {
    name: 'trial-ended',
    description: 'Applies Trial Ended: back to free unless a paid term is active.',
    entry: 'functions/trial-ended/handler.ts',
    triggers: [
      { kind: 'http', method: 'POST', path: '/v1/namespaces/{namespaceId}/trials/end', auth: 'service' },
      commerceEvent('Trial Ended'),
    ],
    tables: commandTables,
  },
  {
    name: 'seat-usage-reported',
    description: 'Applies Seat Usage Reported: the daily measurement of seats in use.',
    entry: 'functions/seat-usage-reported/handler.ts',
    triggers: [
      { kind: 'http', method: 'PUT', path: '/v1/namespaces/{namespaceId}/seat-usage', auth: 'service' },
      commerceEvent('Seat Usage Reported'),
    ],
    tables: commandTables,
  },
  {
    name: 'subscription-reads',
    description: 'Reads a namespace subscription state, a subscription, and its history.',
    entry: 'functions/subscription-reads/handler.ts',
    triggers: [
      { kind: 'http', method: 'GET', path: '/v1/namespaces/{namespaceId}/subscription', auth: 'service' },
      { kind: 'http', method: 'GET', path: '/v1/subscriptions/{subscriptionId}', auth: 'service' },
      { kind: 'http', method: 'GET', path: '/v1/subscriptions/{subscriptionId}/history', auth: 'service' },
    ],
    tables: { state: 'read' },
  },

  {
    name: 'outbox-publisher',
    description: "Publishes Namespace Subscription Changed from the state table's stream (the outbox).",
    entry: 'functions/outbox-publisher/handler.ts',
    triggers: [{ kind: 'stream', table: 'state', batchSize: 100 }],
    tables: {},
    publishesEvents: true,
  },
];

