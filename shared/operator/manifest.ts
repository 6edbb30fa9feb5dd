/**
 * What operators see: the admin page (static assets, public: a browser loads them before it can
 * send a bearer header; the page carries no data) and the operator reads it needs besides the
 * error log, flag, reassociation and job routes.
 */
import type { FunctionSpec } from '../platform/manifest-types.js';

export const operatorFunctions: readonly FunctionSpec[] = [
  {
    name: 'admin-page',
    description: 'The admin page: its HTML, script and stylesheet, bundled in; it asks for the operator token and calls the operator API.',
    entry: 'functions/admin-page/handler.ts',
    triggers: [
      { kind: 'http', method: 'GET', path: '/admin', auth: 'public' },
      { kind: 'http', method: 'GET', path: '/admin/app.js', auth: 'public' },
      { kind: 'http', method: 'GET', path: '/admin/app.css', auth: 'public' },
    ],
    tables: {},
  },
  {
    name: 'operator-reads',
    description: "Operators' reads for the admin page: a namespace's state with its history, and the namespace a subscription is on.",
    entry: 'functions/operator-reads/handler.ts',
    triggers: [
      { kind: 'http', method: 'GET', path: '/v1/operator/namespaces/{namespaceId}', auth: 'operator' },
      { kind: 'http', method: 'GET', path: '/v1/operator/subscriptions/{subscriptionId}', auth: 'operator' },
    ],
    tables: { state: 'read' },
  },
  {
    name: 'operator-metrics',
    description: "The metric counters of the process that answers (locally the whole service; in AWS one container: CloudWatch is the source there).",
    entry: 'functions/operator-metrics/handler.ts',
    triggers: [{ kind: 'http', method: 'GET', path: '/v1/operator/metrics', auth: 'operator' }],
    tables: {},
  },
];
