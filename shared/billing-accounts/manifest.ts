/** The customer billing accounts, kept in step with a customer's zuoraAccountId when `account_data_persistence` is on. */
import { COMMERCE_SOURCE } from '../platform/manifest-types.js';
import type { FunctionSpec } from '../platform/manifest-types.js';
import { CUSTOMER_BILLING_ACCOUNT_SET, billingAccountSetBody, billingAccountView, customerView } from './schemas.js';

export const billingAccountFunctions: readonly FunctionSpec[] = [
  {
    name: 'billing-account-set',
    description: "Applies Customer Billing Account Set: records the customer's zuoraAccountId; with account_data_persistence on, keeps its billing account and membership in step.",
    entry: 'functions/billing-account-set/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'PUT',
        path: '/v1/customers/{customerId}/billing-account',
        auth: 'service',
        doc: {
          summary: 'Customer Billing Account Set: records the zuoraAccountId; with account_data_persistence on, keeps the billing account and membership',
          body: billingAccountSetBody,
          response: customerView,
          dryRun: true,
        },
      },
      { kind: 'event', pattern: { source: [COMMERCE_SOURCE], 'detail-type': [CUSTOMER_BILLING_ACCOUNT_SET] } },
    ],
    tables: { state: 'readWrite', idempotency: 'readWrite', flags: 'read' },
    config: ['flagsCacheTtlSeconds'],
  },
  {
    name: 'customer-reads',
    description: 'Reads a customer and a billing account with its members.',
    entry: 'functions/customer-reads/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/customers/{customerId}',
        auth: 'service',
        doc: { summary: "A customer's billing account and membership", response: customerView },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/billing-accounts/{zuoraAccountId}',
        auth: 'service',
        doc: { summary: 'A persisted billing account and its members (404 when never persisted)', response: billingAccountView },
      },
    ],
    tables: { state: 'read' },
  },
];
