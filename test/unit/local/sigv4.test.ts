import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { LOCAL_ACCESS_KEY_ID, Sha256, verifySignature } from '../../../local/sigv4.js';

const SECRET = 'service-token-0123456789abcdefghijkl';
const NOW = new Date('2026-12-06T12:00:00Z');
const BODY = JSON.stringify({ Entries: [{ Source: 'customers-portal', DetailType: 'Seat Usage Reported', Detail: '{}' }] });

/** A PutEvents request as a client signs it; `sdkChecksum` adds x-amz-content-sha256 as the SDK for JavaScript does, botocore does not. */
async function signed(options: { secret?: string; accessKeyId?: string; sdkChecksum?: boolean; date?: Date } = {}) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: options.accessKeyId ?? LOCAL_ACCESS_KEY_ID, secretAccessKey: options.secret ?? SECRET },
    region: 'eu-west-1',
    service: 'events',
    sha256: Sha256,
    applyChecksum: options.sdkChecksum ?? false,
  });
  const request = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 3000,
      path: '/eventbridge',
      query: {},
      headers: { host: '127.0.0.1:3000', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: BODY,
    },
    { signingDate: options.date ?? NOW },
  );
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: 'POST', path: '/eventbridge', headers, body: BODY };
}

describe('Function: verifySignature', () => {
  it('accepts a request signed with provisioning-local and the service token, with or without x-amz-content-sha256', async () => {
    expect(await verifySignature(await signed(), { secretAccessKey: SECRET, now: NOW })).toBeUndefined();
    expect(await verifySignature(await signed({ sdkChecksum: true }), { secretAccessKey: SECRET, now: NOW })).toBeUndefined();
  });

  it('answers an unsigned request as EventBridge does', async () => {
    const request = await signed();
    delete request.headers.authorization;
    expect(await verifySignature(request, { secretAccessKey: SECRET, now: NOW })).toEqual({ status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  });

  it('refuses a wrong secret, a changed body and a changed signed header', async () => {
    expect((await verifySignature(await signed({ secret: 'another-secret' }), { secretAccessKey: SECRET, now: NOW }))?.type).toBe('InvalidSignatureException');
    expect((await verifySignature({ ...(await signed()), body: BODY.replace('Seat', 'Seet') }, { secretAccessKey: SECRET, now: NOW }))?.type).toBe('InvalidSignatureException');
    const request = await signed();
    request.headers['x-amz-target'] = 'AWSEvents.PutRule';
    expect((await verifySignature(request, { secretAccessKey: SECRET, now: NOW }))?.type).toBe('InvalidSignatureException');
  });

  it('refuses an unknown access key, and accepts another key the runtime knows', async () => {
    expect((await verifySignature(await signed({ accessKeyId: 'AKIAOTHER' }), { secretAccessKey: SECRET, now: NOW }))?.type).toBe('UnrecognizedClientException');
    const keys = new Map([['runtimeKey', 'runtime-secret']]);
    expect(await verifySignature(await signed({ accessKeyId: 'runtimeKey', secret: 'runtime-secret' }), { secretAccessKey: SECRET, now: NOW, otherKeys: keys })).toBeUndefined();
  });

  it('refuses a signature more than 15 minutes from the clock (a replayed request)', async () => {
    const old = await signed({ date: new Date(NOW.getTime() - 16 * 60_000) });
    expect(await verifySignature(old, { secretAccessKey: SECRET, now: NOW })).toMatchObject({ type: 'InvalidSignatureException', message: expect.stringMatching(/^Signature expired/) });
  });
});
