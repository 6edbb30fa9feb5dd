import { describe, expect, it } from 'vitest';
import { REDACTED, isSensitiveKey, redact, redactText, storablePayload } from '../../../shared/platform/redact.js';

describe('Function: redact', () => {
  it('drops credentials: Authorization headers, tokens, secrets, cookies, passwords', () => {
    const out = redact({
      headers: { Authorization: 'Bearer abc.def.ghi', 'X-Gitlab-Token': 'hook-secret', cookie: 'session=1', 'content-type': 'application/json' },
      apiToken: 'glpat-xxxxxxxxxxxxxxxxxxxx',
      client_secret: 's3cr3t',
      password: 'hunter2',
      nested: [{ access_token: 'at-1' }],
    });
    expect(out).toEqual({
      headers: { Authorization: REDACTED, 'X-Gitlab-Token': REDACTED, cookie: REDACTED, 'content-type': 'application/json' },
      apiToken: REDACTED,
      client_secret: REDACTED,
      password: REDACTED,
      nested: [{ access_token: REDACTED }],
    });
  });

  it('drops personal data and keeps ids', () => {
    const out = redact({ namespaceId: 42, customerId: 'C-1', subscriptionId: 'A-S1', email: 'jane@example.com', firstName: 'Jane', last_name: 'Doe', name: 'Jane Doe', billingEmail: 'b@example.com', phone: '+44 1234', address: { street: 'Main St 1', city: 'X' }, sourceIp: '10.0.0.1', planCode: 'premium', functionName: 'fn' });
    expect(out).toEqual({ namespaceId: 42, customerId: 'C-1', subscriptionId: 'A-S1', email: REDACTED, firstName: REDACTED, last_name: REDACTED, name: REDACTED, billingEmail: REDACTED, phone: REDACTED, address: REDACTED, sourceIp: REDACTED, planCode: 'premium', functionName: 'fn' });
  });

  it('scrubs emails and credential-shaped values inside free text', () => {
    const text = 'user jane.doe+x@example.co.uk sent Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig and glpat-abcdefghijklmnop to https://hooks.slack.com/services/T/B/X';
    const out = redactText(text);
    expect(out).not.toMatch(/jane|eyJ|glpat-|hooks\.slack\.com/);
    expect(out).toContain('[email]');
  });

  it('leaves the input untouched and keeps scalars', () => {
    const input = { a: { token: 't' }, n: 1, b: true, z: null };
    const copy = structuredClone(input);
    expect(redact(input)).toEqual({ a: { token: REDACTED }, n: 1, b: true, z: null });
    expect(input).toEqual(copy);
  });

  // Linearity is checked on the patterns themselves (redact-text.property.test.ts), not by a timer.
  it('cuts long hostile strings', () => {
    const out = redactText(`${'a.'.repeat(100_000)}@${'b'.repeat(100_000)}`);
    expect(out.length).toBeLessThan(4_100);
  });

  it('bounds depth', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(JSON.stringify(redact(deep))).toContain('[truncated]');
  });
});

describe('Function: isSensitiveKey', () => {
  it.each(['Authorization', 'x-api-key', 'refreshToken', 'SLACK_WEBHOOK_URL', 'e-mail', 'userName', 'dateOfBirth'])('%s is sensitive', (key) => {
    expect(isSensitiveKey(key)).toBe(true);
  });
  it.each(['namespaceId', 'eventBusName', 'planCode', 'seats', 'detail-type', 'routeKey', 'requestId'])('%s is kept', (key) => {
    expect(isSensitiveKey(key)).toBe(false);
  });
});

describe('Function: storablePayload', () => {
  it('keeps a small payload whole and truncates a large one to a preview', () => {
    expect(storablePayload({ a: 1 })).toEqual({ a: 1 });
    const big = storablePayload({ blobs: Array.from({ length: 20 }, () => 'x'.repeat(3_000)) }) as { truncated: boolean; size: number; preview: string };
    expect(big.truncated).toBe(true);
    expect(big.size).toBeGreaterThan(16_000);
    expect(big.preview).toHaveLength(2_000);
  });
});
