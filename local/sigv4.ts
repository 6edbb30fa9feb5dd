/**
 * The local bus checks PutEvents requests as EventBridge does: signed with AWS Signature Version 4
 * by a known access key. The signature is computed again with the AWS SDK's own signer
 * (@smithy/signature-v4) over the headers the caller says it signed, and compared in constant time.
 * Local credentials: access key id `provisioning-local`, secret access key = the service token.
 *
 * flow: request --> Authorization header parsed --> SignatureV4.sign(same date, same headers) --> compare
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export const LOCAL_ACCESS_KEY_ID = 'provisioning-local';

/** How far a request's X-Amz-Date may be from the clock, as in AWS. */
const MAX_SKEW_MS = 15 * 60 * 1000;

export interface SignatureRefusal {
  /**
   * As AWS's common errors: 403 for a request without credentials (MissingAuthenticationToken),
   * 400 for the rest; the body is AWS JSON `{"__type", "message"}`.
   */
  status: 400 | 403;
  type: 'MissingAuthenticationTokenException' | 'UnrecognizedClientException' | 'InvalidSignatureException' | 'IncompleteSignatureException';
  message: string;
}

export interface SignedRequest {
  method: string;
  /** The path as sent (`/eventbridge`), without the query. */
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: Data): Buffer | string =>
  typeof data === 'string' ? data : data instanceof ArrayBuffer ? Buffer.from(new Uint8Array(data)) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** node:crypto's SHA-256 in the shape the signer takes (an HMAC when given a secret). */
export class Sha256 {
  private hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: Data) {
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: Data): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;

const header = (headers: SignedRequest['headers'], name: string): string | undefined => {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
};

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Checks a request's SigV4 signature; answers undefined when it is good, else what EventBridge answers.
 *
 * @example
 * const refusal = await verifySignature(request, { secretAccessKey: tokens.service, now: new Date() });
 * // otherKeys: the runtime's own functions sign with a key of their own (see local/runtime.ts).
 * if (refusal) answer(refusal.status, { __type: refusal.type, message: refusal.message });
 */
export async function verifySignature(
  request: SignedRequest,
  credentials: { secretAccessKey: string; now: Date; otherKeys?: ReadonlyMap<string, string> },
): Promise<SignatureRefusal | undefined> {
  const authorization = header(request.headers, 'authorization');
  if (!authorization) return { status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const parts = AUTHORIZATION.exec(authorization.trim());
  if (!parts) {
    return { status: 400, type: 'IncompleteSignatureException', message: `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters of AWS4-HMAC-SHA256. Authorization=${authorization.split(' ')[0]}` };
  }
  const [, accessKeyId, day, region, service, signedHeaderList, signature] = parts as unknown as [string, string, string, string, string, string, string];
  const secretAccessKey = accessKeyId === LOCAL_ACCESS_KEY_ID ? credentials.secretAccessKey : credentials.otherKeys?.get(accessKeyId);
  if (secretAccessKey === undefined) return { status: 400, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };

  const amzDate = header(request.headers, 'x-amz-date');
  const signingDate = amzDate && /^\d{8}T\d{6}Z$/.test(amzDate) ? new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`) : undefined;
  if (!signingDate || Number.isNaN(signingDate.getTime()) || amzDate!.slice(0, 8) !== day) {
    return { status: 400, type: 'IncompleteSignatureException', message: 'Date must be in ISO-8601 \'basic format\'. Got \'' + (amzDate ?? '') + '\'. See http://en.wikipedia.org/wiki/ISO_8601' };
  }
  if (Math.abs(credentials.now.getTime() - signingDate.getTime()) > MAX_SKEW_MS) {
    return { status: 400, type: 'InvalidSignatureException', message: `Signature expired: ${amzDate} is now earlier or later than the 15 minutes allowed around ${credentials.now.toISOString()}.` };
  }

  // Exactly the headers the caller signed, with the values it sent.
  const signedNames = signedHeaderList.split(';');
  if (!signedNames.includes('host')) return { status: 400, type: 'InvalidSignatureException', message: "'Host' must be a 'SignedHeader' in the AWS Authorization." };
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const value = header(request.headers, name);
    if (value === undefined) return { status: 400, type: 'InvalidSignatureException', message: SIGNATURE_MISMATCH };
    headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region,
    service,
    sha256: Sha256,
    uriEscapePath: true,
    // Sign exactly what the caller signed: the SDK for JavaScript adds x-amz-content-sha256, the
    // CLI (botocore) does not; the header is part of the signature only when it is in SignedHeaders.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: headers.host!.replace(/:\d+$/, ''), path: request.path, query: request.query ?? {}, headers, body: request.body },
    { signingDate, signableHeaders: new Set(signedNames) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization))?.[1] ?? '';
  const ok = expected.length === signature.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
  return ok ? undefined : { status: 400, type: 'InvalidSignatureException', message: SIGNATURE_MISMATCH };
}
