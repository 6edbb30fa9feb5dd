/** OpenAPI entries of the customer and billing-account routes (spread into routeDocs of shared/service/openapi.ts). */
import type * as z from '../platform/zod.js';
import { billingAccountSetBody, billingAccountView, customerView } from './schemas.js';

interface RouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  response: z.ZodMiniType;
  dryRun?: boolean;
}

export const billingAccountRouteDocs: Record<string, RouteDoc> = {
  'PUT /v1/customers/{customerId}/billing-account': {
    summary: 'Customer Billing Account Set: records the zuoraAccountId; with account_data_persistence on, keeps the billing account and membership',
    body: billingAccountSetBody,
    response: customerView,
    dryRun: true,
  },
  'GET /v1/customers/{customerId}': { summary: "A customer's billing account and membership", response: customerView },
  'GET /v1/billing-accounts/{zuoraAccountId}': { summary: 'A persisted billing account and its members (404 when never persisted)', response: billingAccountView },
};
