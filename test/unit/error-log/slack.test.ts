import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorMessage, SlackNotifier } from '../../../shared/error-log/slack.js';
import { DEFAULT_NOISE_CODES, noiseCodes } from '../../../shared/error-log/domain/noise.js';

const record = { id: 'err_0123456789abcdef01234567', code: 'internal_error', message: 'a <b> & c', subject: 'POST /v1/subscriptions: TypeError', source: 'http' as const, occurrences: 1 };

describe('Function: errorMessage', () => {
  it('says code, message, subject and links the record on the admin page, escaping Slack control characters', () => {
    const { text } = errorMessage(record, { adminBaseUrl: 'https://admin.example.com/', reopened: false });
    expect(text).toContain('New provisioning error* `internal_error`');
    expect(text).toContain('a &lt;b&gt; &amp; c');
    expect(text).toContain('POST /v1/subscriptions: TypeError');
    expect(text).toContain('<https://admin.example.com/admin#/errors/err_0123456789abcdef01234567|');
  });

  it('says when a resolved error is back', () => {
    expect(errorMessage(record, { adminBaseUrl: undefined, reopened: true }).text).toContain('is back');
  });
});

describe('Class: SlackNotifier', () => {
  let url: string;
  const answers: number[] = [];
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      const status = answers.shift() ?? 200;
      res.writeHead(status).end(status === 200 ? 'ok' : 'nope');
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('retries a 5xx (bounded) and succeeds', async () => {
    received = 0;
    answers.push(503, 500);
    await expect(new SlackNotifier({ url: async () => url, retries: 2 }).send({ text: 'x' })).resolves.toBe('sent');
    expect(received).toBe(3);
  });

  it('gives up after its retries, and does not retry a 4xx', async () => {
    received = 0;
    answers.push(500, 500, 500, 500);
    await expect(new SlackNotifier({ url: async () => url, retries: 2 }).send({ text: 'x' })).rejects.toThrow();
    expect(received).toBe(3);
    answers.length = 0;
    received = 0;
    answers.push(404);
    await expect(new SlackNotifier({ url: async () => url, retries: 2 }).send({ text: 'x' })).rejects.toThrow();
    expect(received).toBe(1);
  });

  it('answers not_configured without a URL', async () => {
    await expect(new SlackNotifier({ url: async () => undefined }).send({ text: 'x' })).resolves.toBe('not_configured');
  });
});

describe('Function: noiseCodes', () => {
  it('uses the documented default when unset, nothing when empty, the list otherwise', () => {
    expect([...noiseCodes(undefined)]).toEqual([...DEFAULT_NOISE_CODES]);
    expect(noiseCodes('').size).toBe(0);
    expect([...noiseCodes(' a_code, ,b_code ')]).toEqual(['a_code', 'b_code']);
  });
});
