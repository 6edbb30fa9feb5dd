/**
 * The contract of "customer's billing account set" and of the customer and billing-account reads,
 * all zod: the HTTP body, the path ids, the EventBridge detail (the body plus the customer id) and
 * the answers. OpenAPI is generated from these.
 */
import * as z from 'zod';
import { eventId, instant, pageLimit } from './schemas.js';

/** Ids from the portal and from Zuora: letters, digits and . _ : - (never a key separator). */
const externalId = (what: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only')
    .describe(what);

export const customerId = externalId("The customers portal's customer id");
export const zuoraAccountId = externalId("The Zuora account id (or number) the customer bills to");

export const CUSTOMER_BILLING_ACCOUNT_SET = 'Customer Billing Account Set';

/** PUT /v1/customers/{customerId}/billing-account */
export const billingAccountSetBody = z.strictObject({ eventId, occurredAt: instant, zuoraAccountId });

/** The event `Customer Billing Account Set` (source `customers-portal`): the body plus the customer id. */
export const billingAccountSetDetail = billingAccountSetBody.extend({ customerId });

export const customerPath = z.strictObject({ customerId });
export const billingAccountPath = z.strictObject({ zuoraAccountId });

export const membersQuery = z.strictObject({
  limit: pageLimit(500),
  cursor: z.string().min(1).max(512).optional(),
});

/** A customer as the API answers it (and as the command answers it). */
export const customerView = z.object({
  customerId: z.string(),
  zuoraAccountId: z.string(),
  membershipZuoraAccountId: z.string().nullable().describe('The billing account holding this customer\'s membership; null when none is kept'),
  accountDataPersisted: z.boolean().describe('Whether account_data_persistence was on for the last applied change'),
  changedOn: z.iso.date().describe('UTC date of the last applied change'),
  lastOccurredAt: instant,
  lastEventId: z.string(),
  updatedAt: instant,
  version: z.number().int().min(1),
});

export const billingAccountView = z.object({
  zuoraAccountId: z.string(),
  createdAt: instant,
  updatedAt: instant,
  members: z.array(z.object({ customerId: z.string(), since: instant, eventId: z.string() })),
  nextCursor: z.string().nullable(),
});
