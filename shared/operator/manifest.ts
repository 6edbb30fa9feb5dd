/**
 * What operators see: the admin page (static assets, public: a browser loads them before it can
 * send a bearer header; the page carries no data) and the operator reads it needs besides the
 * error log, flag, reassociation and job routes.
 */
import * as z from '../platform/zod.js';
import type { FunctionSpec } from '../platform/manifest-types.js';
import { metricsSnapshotSchema, namespaceView, operatorMe, subscriptionLocation } from './schemas.js';

const text = (what: string) => z.string().check(z.describe(what));

export const operatorFunctions: readonly FunctionSpec[] = [
  {
    name: 'admin-page',
    description: 'The admin page: its HTML, script and stylesheet, bundled in; it asks for the operator token and calls the operator API.',
    entry: 'functions/admin-page/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/admin',
        auth: 'public',
        doc: {
          summary: 'The admin page (public: it carries no data, asks for the operator token and calls the operator API); strict CSP, no framing, no caching',
          response: text('The page'),
          contentType: 'text/html',
        },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/admin/app.js',
        auth: 'public',
        doc: { summary: "The admin page's script (public, static)", response: text('JavaScript module'), contentType: 'text/javascript' },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/admin/app.css',
        auth: 'public',
        doc: { summary: "The admin page's stylesheet (public, static)", response: text('CSS'), contentType: 'text/css' },
      },
    ],
    tables: {},
  },
  {
    name: 'operator-reads',
    description: "Operators' reads for the admin page: a namespace's state with its history, and the namespace a subscription is on.",
    entry: 'functions/operator-reads/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/operator/namespaces/{namespaceId}',
        auth: 'operator',
        role: 'viewer',
        doc: {
          summary:
            "A namespace's subscription state and a page of its history, newest first, each entry with the whole state before and after (operators); query limit (1–100, 20), cursor",
          response: namespaceView,
        },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/operator/subscriptions/{subscriptionId}',
        auth: 'operator',
        role: 'viewer',
        doc: { summary: 'The namespace a subscription is associated with (operators); 404 when none', response: subscriptionLocation },
      },
    ],
    tables: { state: 'read' },
  },
  {
    name: 'operator-metrics',
    description:
      "Who the signed-in operator is (id, display name, role: the admin page shows what the role may do), and the metric counters of the process that answers (locally the whole service; in AWS one container: CloudWatch is the source there).",
    entry: 'functions/operator-metrics/handler.ts',
    triggers: [
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/operator/me',
        auth: 'operator',
        role: 'viewer',
        doc: { summary: "The signed-in operator: the token's subject, display name when it has one, and role (viewer, support or admin)", response: operatorMe },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/operator/metrics',
        auth: 'operator',
        role: 'viewer',
        doc: {
          summary:
            "The metric counters of the answering process (operators): locally the whole service since npm start; in AWS one container only — CloudWatch (the stack's dashboard) is the source there",
          response: metricsSnapshotSchema,
        },
      },
    ],
    tables: {},
  },
];
