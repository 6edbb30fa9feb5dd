/**
 * The contract of "customer's billing account set" and of the customer and billing-account reads,
 * all zod: the HTTP body, the path ids, the EventBridge detail (the body plus the customer id) and
 * the answers. OpenAPI is generated from these.
 */
import * as z from '../platform/zod.js';
import { eventId, instant, pageLimit } from '../platform/schemas.js';

/** Ids from the portal and from Zuora: letters, digits and . _ : - (never a key separator). */
const externalId = (what: string) =>
  z
    .string()
    .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only'), z.describe(what));

export const customerId = externalId("The customers portal's customer id");
export const zuoraAccountId = externalId("The Zuora account id (or number) the customer bills to");

export const CUSTOMER_BILLING_ACCOUNT_SET = 'Customer Billing Account Set';

/** PUT /v1/customers/{customerId}/billing-account */
export const billingAccountSetBody = z.strictObject({ eventId, occurredAt: instant, zuoraAccountId });

/** The event `Customer Billing Account Set` (source `customers-portal`): the body plus the customer id. */
export const billingAccountSetDetail = z.extend(billingAccountSetBody, { customerId });

export const customerPath = z.strictObject({ customerId });
export const billingAccountPath = z.strictObject({ zuoraAccountId });

export const membersQuery = z.strictObject({
  limit: pageLimit(500),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

/** A customer as the API answers it (and as the command answers it). */
export const customerView = z.object({
  customerId: z.string(),
  zuoraAccountId: z.string(),
  membershipZuoraAccountId: z
    .nullable(z.string())
    .check(z.describe('The billing account holding this customer\'s membership; null when none is kept')),
  accountDataPersisted: z.boolean().check(z.describe('Whether account_data_persistence was on for the last applied change')),
  changedOn: z.iso.date().check(z.describe('UTC date of the last applied change')),
  lastOccurredAt: instant,
  lastEventId: z.string(),
  updatedAt: instant,
  version: z.int().check(z.minimum(1)),
});

export const billingAccountView = z.object({
  zuoraAccountId: z.string(),
  createdAt: instant,
  updatedAt: instant,
  members: z.array(z.object({ customerId: z.string(), since: instant, eventId: z.string() })),
  nextCursor: z.nullable(z.string()),
});
