/**
 * `POST /v1/webhooks/gitlab`: GitLab's issue webhook. Checks X-Gitlab-Token in constant time; a
 * closed issue resolves the errors linked to it, a chunk per invocation: this delivery the first,
 * `Issue Resolution Continued` events (to this same function) the rest
 * (shared/error-log/issue-resolution.ts).
 */
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { readSecret } from '../../shared/platform/config.js';
import { issueHookPayload, meaningOf, webhookTokenMatches } from '../../shared/error-log/domain/gitlab-webhook.js';
import { continueIssueResolution, resolutionDeps, resolveIssueChunk } from '../../shared/error-log/issue-resolution.js';
import type { ChunkOutcome } from '../../shared/error-log/issue-resolution.js';
import { UnauthorizedError } from '../../shared/platform/http/errors.js';
import { headerOf, httpHandler, isHttpEvent, parseBody } from '../../shared/platform/http/handler.js';
import { logger } from '../../shared/platform/log.js';

const onWebhook = httpHandler(
  async (event, { log }) => {
    const secret = await readSecret('gitlabWebhookSecret');
    if (!secret) {
      // Nothing can be verified, so nothing is accepted.
      log.error('GITLAB_WEBHOOK_SECRET is not set: every GitLab delivery is refused');
      throw new UnauthorizedError('The GitLab webhook is not configured on this service (GITLAB_WEBHOOK_SECRET): deliveries are refused.');
    }
    if (!webhookTokenMatches(headerOf(event, 'x-gitlab-token'), secret)) {
      throw new UnauthorizedError('Missing or wrong X-Gitlab-Token: set the webhook\'s secret token to the one the service was given.');
    }
    const meaning = meaningOf(parseBody(event, issueHookPayload));
    if (meaning.kind === 'ignored') {
      log.info('gitlab webhook ignored', { reason: meaning.reason });
      return { body: { ignored: true, reason: meaning.reason } };
    }
    const { issue, resolved, alreadyResolved, skipped, next } = await resolveIssueChunk({ url: meaning.url, iid: meaning.iid }, null, 1, resolutionDeps.get(), log);
    // 202: more records are linked; the rest is resolved by the events this chunk handed it on to.
    return { statusCode: next ? 202 : 200, body: { issue, resolved, alreadyResolved, skipped, continues: next !== null } };
  },
  { webhook: 'gitlab' },
);

export const handler = async (event: unknown, context: Context): Promise<APIGatewayProxyStructuredResultV2 | ChunkOutcome> =>
  isHttpEvent(event) ? onWebhook(event, context) : continueIssueResolution(event, resolutionDeps.get(), logger);
