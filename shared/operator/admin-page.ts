/**
 * Serves the admin page's static files (admin/, bundled as strings: admin/build.ts). The routes are
 * public — a browser loads the page before it can send a bearer header — so the page carries no
 * data; it asks for the operator token and calls the operator API. Strict headers on every answer:
 * a CSP without inline script or style (the script and stylesheet are files of their own), no
 * framing, no caching, no referrer, no MIME sniffing.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { adminAssets } from '../../admin/assets.generated.js';
import { InvalidInputError, NotFoundError } from '../platform/errors.js';
import { errorAnswer } from '../platform/http/errors.js';
import type { HttpEvent } from '../platform/http/handler.js';

/** The page's Content-Security-Policy: only its own script and stylesheet, and calls to its own origin. */
export const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  // The favicon is `data:,` (none): a browser would otherwise ask for /favicon.ico.
  "img-src 'self' data:",
  "base-uri 'none'",
  // Forms are handled by the script; none may post anywhere (the token never leaves in a URL or a form).
  "form-action 'none'",
  "frame-ancestors 'none'",
  // Nothing may write HTML from strings: the script builds the page with DOM calls and text only.
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

export const ADMIN_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': ADMIN_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
};


function errorResult(error: Error): APIGatewayProxyStructuredResultV2 {
  const answer = errorAnswer(error);
  return {
    statusCode: answer.statusCode,
    headers: { ...ADMIN_SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(answer.body),
  };
}

/**
 * The answer to one admin-page route, as a Lambda proxy result (payload format 2.0).
 *
 * @example
 * serveAdminAsset({ routeKey: 'GET /admin', queryStringParameters: undefined }) // 200 text/html
 */
export function serveAdminAsset(event: Pick<HttpEvent, 'routeKey' | 'queryStringParameters'>): APIGatewayProxyStructuredResultV2 {
  const asset = Object.hasOwn(adminAssets, event.routeKey) ? adminAssets[event.routeKey] : undefined;
  if (!asset) return errorResult(new NotFoundError(`No admin page asset for ${event.routeKey}: open /admin.`));
  // No query string: the page's views live in the fragment (`/admin#/errors/<id>`). Checked by hand,
  // not with zod: this function serves static files and stays small (no schema library in its bundle).
  const unknown = Object.keys(event.queryStringParameters ?? {});
  if (unknown.length) {
    const details = unknown.map((field) => ({ field, message: 'Unknown field: remove it' }));
    return errorResult(new InvalidInputError(`Invalid query: check ${unknown.join(', ')}.`, details));
  }
  return {
    statusCode: 200,
    headers: { ...ADMIN_SECURITY_HEADERS, 'content-type': asset.contentType },
    body: asset.body,
  };
}
