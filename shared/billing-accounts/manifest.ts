/** The customer billing accounts, kept in step with a customer's zuoraAccountId when `account_data_persistence` is on. */
import { COMMERCE_SOURCE } from '../platform/manifest-types.js';
import type { FunctionSpec } from '../platform/manifest-types.js';

export const billingAccountFunctions: readonly FunctionSpec[] = [
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
