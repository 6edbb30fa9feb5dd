/** Feature flags (operator routes) and the customer billing accounts gated by `account_data_persistence`. */
import { COMMERCE_SOURCE } from '../platform/manifest-types.js';
import type { FunctionSpec } from '../platform/manifest-types.js';

export const flagFunctions: readonly FunctionSpec[] = [
  {
    name: 'flags-api',
    description: 'Lists, reads and changes feature flags (boolean, actor and percentage gates) and their history.',
    entry: 'functions/flags-api/handler.ts',
    triggers: [
      { kind: 'http', method: 'GET', path: '/v1/flags', auth: 'operator' },
      { kind: 'http', method: 'GET', path: '/v1/flags/{name}', auth: 'operator' },
      { kind: 'http', method: 'PUT', path: '/v1/flags/{name}', auth: 'operator' },
      { kind: 'http', method: 'GET', path: '/v1/flags/{name}/history', auth: 'operator' },
    ],
    tables: { flags: 'readWrite' },
  },
  {
    name: 'billing-account-set',
    description: "Applies Customer Billing Account Set: records the customer's zuoraAccountId; with account_data_persistence on, keeps its billing account and membership in step.",
    entry: 'functions/billing-account-set/handler.ts',
    triggers: [
      { kind: 'http', method: 'PUT', path: '/v1/customers/{customerId}/billing-account', auth: 'service' },
      { kind: 'event', pattern: { source: [COMMERCE_SOURCE], 'detail-type': ['Customer Billing Account Set'] } },
    ],
    tables: { state: 'readWrite', idempotency: 'readWrite', flags: 'read' },
  },
  {
    name: 'customer-reads',
    description: 'Reads a customer and a billing account with its members.',
    entry: 'functions/customer-reads/handler.ts',
    triggers: [
      { kind: 'http', method: 'GET', path: '/v1/customers/{customerId}', auth: 'service' },
      { kind: 'http', method: 'GET', path: '/v1/billing-accounts/{zuoraAccountId}', auth: 'service' },
    ],
    tables: { state: 'read' },
  },
];
