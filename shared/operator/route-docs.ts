/** OpenAPI entries of the admin page and the operator reads (spread into routeDocs of shared/service/openapi.ts). */
import * as z from '../platform/zod.js';
import { metricsSnapshotSchema, namespaceView, subscriptionLocation } from './schemas.js';

interface RouteDoc {
  summary: string;
  body?: z.ZodMiniType;
  response: z.ZodMiniType;
  dryRun?: boolean;
  /** The 200 answer's media type when it is not JSON. */
  contentType?: string;
}

const text = (what: string) => z.string().check(z.describe(what));

export const operatorRouteDocs: Record<string, RouteDoc> = {
  'GET /admin': {
    summary: 'The admin page (public: it carries no data, asks for the operator token and calls the operator API); strict CSP, no framing, no caching',
    response: text('The page'),
    contentType: 'text/html',
  },
  'GET /admin/app.js': { summary: "The admin page's script (public, static)", response: text('JavaScript module'), contentType: 'text/javascript' },
  'GET /admin/app.css': { summary: "The admin page's stylesheet (public, static)", response: text('CSS'), contentType: 'text/css' },
  'GET /v1/operator/namespaces/{namespaceId}': {
    summary: "A namespace's subscription state and a page of its history, newest first, each entry with the whole state before and after (operators); query limit (1–100, 20), cursor",
    response: namespaceView,
  },
  'GET /v1/operator/subscriptions/{subscriptionId}': {
    summary: 'The namespace a subscription is associated with (operators); 404 when none',
    response: subscriptionLocation,
  },
  'GET /v1/operator/metrics': {
    summary:
      "The metric counters of the answering process (operators): locally the whole service since npm start; in AWS one container only — CloudWatch (the stack's dashboard) is the source there",
    response: metricsSnapshotSchema,
  },
};
