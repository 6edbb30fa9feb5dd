/**
 * "Told once": the Slack message for a new (or reopened) error, and the port that sends it through
 * Slack's incoming webhook (`@slack/webhook`).
 */
import { IncomingWebhook } from '@slack/webhook';
import type { IncomingWebhookSendArguments } from '@slack/webhook';
import { readSecret } from '../platform/config.js';
import type { ErrorRecord } from './domain/record.js';
import { runbookAdminLink } from './domain/runbook-titles.js';

/** Slack mrkdwn: `&`, `<` and `>` are control characters (`<!here>`, `<@U123>`, `<url|text>`). */
const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Text from a report, inert in Slack: an inline code span, in which Slack links nothing (no URL,
 * domain, `#channel` or `@user`), on one line, with its own backticks turned into `ˋ` so it cannot
 * close the span, control characters escaped (no `<!here>`, `<@U…>`, `<!subteam^…>`, `<url|…>`),
 * and a zero-width space after each `@` so no client reads `@here`/`@channel` as a mention.
 *
 * @example
 * inertText('@here see <https://evil.example|docs>', 300) // '`@\u200Bhere see &lt;https://evil.example|docs&gt;`'
 */
export function inertText(text: string, max: number): string {
  const oneLine = clip(text.replace(/\s+/g, ' ').trim(), max);
  if (oneLine === '') return '_none_';
  return `\`${escape(oneLine.replace(/`/g, 'ˋ')).replace(/@/g, '@\u200B')}\``;
}

/** The link to a record on the admin page. */
export const adminLink = (adminBaseUrl: string, id: string): string => `${adminBaseUrl.replace(/\/$/, '')}/admin#/errors/${id}`;

/** The message: code, message, subject (all inert: see inertText) and a link to the record. */
export function errorMessage(
  record: Pick<ErrorRecord, 'id' | 'code' | 'message' | 'subject' | 'source' | 'occurrences'>,
  options: { adminBaseUrl: string | undefined; reopened: boolean; runbook?: { code: string; title: string } | null },
): IncomingWebhookSendArguments {
  const heading = options.reopened ? 'Resolved provisioning error is back' : 'New provisioning error';
  const link = options.adminBaseUrl ? adminLink(options.adminBaseUrl, record.id) : undefined;
  const text = [
    `:rotating_light: *${heading}* ${inertText(record.code, 100)}`,
    `*Message:* ${inertText(record.message, 500)}`,
    `*Subject:* ${inertText(record.subject, 300)}`,
    link ? `<${link}|Open ${record.id} in the admin page>` : `Record: ${record.id}`,
    // What to do: the runbook of the code, on the admin page when there is one.
    ...(options.runbook
      ? [options.adminBaseUrl ? `<${runbookAdminLink(options.adminBaseUrl, options.runbook.code)}|Runbook: ${escape(clip(options.runbook.title, 200))}>` : `*Runbook:* ${escape(clip(options.runbook.title, 200))}`]
      : []),
  ].join('\n');
  return { text, unfurl_links: false, unfurl_media: false };
}

export type SendOutcome = 'sent' | 'not_configured';

/** Sends a message; rejects when it could not be delivered. */
export interface Notifier {
  send(message: IncomingWebhookSendArguments): Promise<SendOutcome>;
}

export interface SlackNotifierOptions {
  /** Resolves the webhook URL (Secrets Manager in AWS, SLACK_WEBHOOK_URL locally); undefined = not configured. */
  url?: () => Promise<string | undefined>;
  /** Retries after the first attempt, for network errors and 5xx answers (4xx are not retried). */
  retries?: number;
  timeoutMs?: number;
}

/** Slack through `IncomingWebhook`, with a bounded retry (exponential, jittered). */
export class SlackNotifier implements Notifier {
  private webhook?: { url: string; client: IncomingWebhook };

  constructor(private readonly options: SlackNotifierOptions = {}) {}

  async send(message: IncomingWebhookSendArguments): Promise<SendOutcome> {
    const url = await (this.options.url ?? (() => readSecret('slackWebhookUrl')))();
    if (!url) return 'not_configured';
    if (this.webhook?.url !== url) {
      this.webhook = {
        url,
        client: new IncomingWebhook(url, {
          timeout: this.options.timeoutMs ?? 3_000,
          retryConfig: { retries: this.options.retries ?? 2, factor: 2, minTimeout: 200, maxTimeout: 1_000, randomize: true },
        }),
      };
    }
    await this.webhook.client.send(message);
    return 'sent';
  }
}
