/**
 * `GET /admin`, `GET /admin/app.js`, `GET /admin/app.css` (public): the admin page's static files
 * with strict security headers (shared/operator/admin-page.ts). No caller identity, no data.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpEvent } from '../../shared/platform/http/handler.js';
import { serveAdminAsset } from '../../shared/operator/admin-page.js';

export const handler = async (event: HttpEvent): Promise<APIGatewayProxyStructuredResultV2> => serveAdminAsset(event);
