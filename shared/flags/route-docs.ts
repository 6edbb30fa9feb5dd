/** OpenAPI entries of the flag, customer and billing-account routes (spread into routeDocs of shared/service/openapi.ts). */
import type * as z from '../platform/zod.js';
import { billingAccountSetBody, billingAccountView, customerView } from '../billing-accounts/schemas.js';
import { flagChangeBody, flagHistory, flagList, flagView } from './schemas.js';

interface RouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  response: z.ZodMiniType;
  dryRun?: boolean;
}

export const flagRouteDocs: Record<string, RouteDoc> = {
  'GET /v1/flags': { summary: 'Every feature flag and its gates', response: flagList },
  'GET /v1/flags/{name}': { summary: "A flag's gates and version", response: flagView },
  'PUT /v1/flags/{name}': {
    summary: 'Changes the gates named in the body (creates the flag, every gate off, when missing); 201 when created',
    body: flagChangeBody,
    response: flagView,
  },
  'GET /v1/flags/{name}/history': { summary: "A flag's changes, newest first, with operator, before and after", response: flagHistory },
  'PUT /v1/customers/{customerId}/billing-account': {
    summary: 'Customer Billing Account Set: records the zuoraAccountId; with account_data_persistence on, keeps the billing account and membership',
    body: billingAccountSetBody,
    response: customerView,
    dryRun: true,
  },
  'GET /v1/customers/{customerId}': { summary: "A customer's billing account and membership", response: customerView },
  'GET /v1/billing-accounts/{zuoraAccountId}': { summary: 'A persisted billing account and its members (404 when never persisted)', response: billingAccountView },
};
