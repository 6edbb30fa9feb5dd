/**
 * Customer's billing account set, from both of its triggers: `PUT /v1/customers/{customerId}/billing-account`
 * and the event `Customer Billing Account Set` (source `customers-portal`), through the platform's
 * dual adapter; the flag is evaluated through OpenFeature.
 */
import { executeBillingAccountSet } from '../../shared/billing-accounts/set-billing-account.js';
import { CUSTOMER_BILLING_ACCOUNT_SET, billingAccountSetBody, billingAccountSetDetail, customerPath } from '../../shared/billing-accounts/schemas.js';
import { useFlagsTable } from '../../shared/flags/provider.js';
import { dualHandler } from '../../shared/platform/http/dual.js';

useFlagsTable();

export const handler = dualHandler({
  name: 'billingAccountSet',
  detailType: CUSTOMER_BILLING_ACCOUNT_SET,
  path: customerPath,
  body: billingAccountSetBody,
  detail: billingAccountSetDetail,
  fromRequest: (path, body) => ({ type: 'billingAccountSet', ...body, customerId: path.customerId }),
  fromDetail: (detail) => ({ type: 'billingAccountSet', ...detail }),
  execute: executeBillingAccountSet,
  answer: (result) => result.customer,
  describe: (command, result) => ({ customerId: command.customerId, zuoraAccountId: command.zuoraAccountId, accountDataPersisted: result.customer.accountDataPersisted }),
});
