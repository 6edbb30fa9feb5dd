/** Reads a customer (its billing account and membership) and a billing account with its members. */
import { billingAccountPath, customerPath, membersQuery } from '../../shared/billing-accounts/schemas.js';
import { NotFoundError } from '../../shared/platform/errors.js';
import { httpHandler, parseWith } from '../../shared/platform/http/handler.js';
import { getBillingAccount, getCustomer, listMembers } from '../../shared/billing-accounts/store.js';
import { noQuery } from '../../shared/platform/http/query.js';

export const handler = httpHandler(async (event) => {
  switch (event.routeKey) {
    case 'GET /v1/customers/{customerId}': {
      const { customerId } = parseWith(customerPath, event.pathParameters ?? {}, 'path');
      parseWith(noQuery, event.queryStringParameters ?? {}, 'query');
      const customer = await getCustomer(customerId);
      if (!customer) throw new NotFoundError(`Customer ${customerId} is unknown: no billing account was ever set for it.`);
      return { body: customer };
    }
    case 'GET /v1/billing-accounts/{zuoraAccountId}': {
      const { zuoraAccountId } = parseWith(billingAccountPath, event.pathParameters ?? {}, 'path');
      const query = parseWith(membersQuery, event.queryStringParameters ?? {}, 'query');
      const [account, page] = await Promise.all([
        getBillingAccount(zuoraAccountId),
        listMembers(zuoraAccountId, { limit: query.limit ?? 100, cursor: query.cursor }),
      ]);
      if (!account) {
        throw new NotFoundError(
          `Billing account ${zuoraAccountId} was never persisted: it is kept only for customers with account_data_persistence on. ` +
            'See GET /v1/customers/{customerId} for the account a customer bills to.',
        );
      }
      return { body: { ...account, members: page.members, nextCursor: page.nextCursor } };
    }
    default:
      throw new NotFoundError(`No route ${event.routeKey}.`);
  }
});
