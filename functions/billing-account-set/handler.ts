/**
 * Customer's billing account set, from both of its triggers: `PUT /v1/customers/{customerId}/billing-account`
 * and the event `Customer Billing Account Set` (source `customers-portal`). Both parse with the same
 * zod schemas and call the same executeBillingAccountSet; the flag is evaluated through OpenFeature.
 */
import type { APIGatewayProxyStructuredResultV2, Context, EventBridgeEvent } from 'aws-lambda';
import { executeBillingAccountSet } from '../../shared/billing-accounts/set-billing-account.js';
import { CUSTOMER_BILLING_ACCOUNT_SET, billingAccountSetBody, billingAccountSetDetail, customerPath } from '../../shared/billing-accounts/schemas.js';
import { useFlagsTable } from '../../shared/flags/provider.js';
import { HttpError, validationFailed } from '../../shared/platform/http/errors.js';
import { httpHandler, isHttpEvent, parseBody, parseWith } from '../../shared/platform/http/handler.js';
import type { HttpEvent } from '../../shared/platform/http/handler.js';
import { logger } from '../../shared/platform/log.js';
import { countCommand, countStale } from '../../shared/platform/metrics.js';
import { dryRunQuery } from '../../shared/platform/http/query.js';

useFlagsTable();

const onHttp = httpHandler(async (event, { actor, log }) => {
  const { customerId } = parseWith(customerPath, event.pathParameters ?? {}, 'path');
  const { dryRun } = parseWith(dryRunQuery, event.queryStringParameters ?? {}, 'query');
  const body = parseBody(event, billingAccountSetBody);
  const result = await executeBillingAccountSet({ type: 'billingAccountSet', ...body, customerId }, { actor: actor.id, dryRun: dryRun === 'true' }).catch(
    countStale('billingAccountSet'),
  );
  countCommand('billingAccountSet', result);
  log.info('billing account set', {
    eventId: body.eventId,
    customerId,
    zuoraAccountId: body.zuoraAccountId,
    accountDataPersisted: result.customer.accountDataPersisted,
    replayed: result.replayed,
    dryRun: result.dryRun,
  });
  return {
    body: result.customer,
    headers: { 'idempotent-replayed': String(result.replayed), ...(result.dryRun ? { 'dry-run': 'true' } : {}) },
  };
});

const onEvent = async (event: EventBridgeEvent<string, unknown>): Promise<void> => {
  const log = logger.createChild({ persistentKeys: { eventBridgeId: event.id, detailType: event['detail-type'] } });
  if (event['detail-type'] !== CUSTOMER_BILLING_ACCOUNT_SET) {
    throw new Error(`${CUSTOMER_BILLING_ACCOUNT_SET} handler received ${event['detail-type']}: check the rule's pattern`);
  }
  const parsed = billingAccountSetDetail.safeParse(event.detail);
  if (!parsed.success) {
    const problem = validationFailed(parsed.error, 'detail');
    log.error('event rejected: invalid detail', { code: problem.code, details: problem.details });
    throw problem;
  }
  const detail = parsed.data;
  try {
    const result = await executeBillingAccountSet({ type: 'billingAccountSet', ...detail }, { actor: `eventbridge:${event.source}` }).catch(
      countStale('billingAccountSet'),
    );
    countCommand('billingAccountSet', result);
    log.info('billing account set', {
      eventId: detail.eventId,
      customerId: detail.customerId,
      zuoraAccountId: detail.zuoraAccountId,
      accountDataPersisted: result.customer.accountDataPersisted,
      replayed: result.replayed,
      dryRun: false,
    });
  } catch (error) {
    // A stale event is superseded, not failed: the newer change is already applied.
    if (error instanceof HttpError && error.code === 'stale_event') {
      log.warn('event not applied', { eventId: detail.eventId, customerId: detail.customerId, code: error.code, reason: error.message });
      return;
    }
    throw error;
  }
};

export const handler = async (event: HttpEvent | EventBridgeEvent<string, unknown>, context: Context): Promise<APIGatewayProxyStructuredResultV2 | void> =>
  isHttpEvent(event) ? onHttp(event, context) : onEvent(event);
