/** Feature flags: the operators' routes (the flags are evaluated through OpenFeature by the functions that use them). */
import type { FunctionSpec } from '../platform/manifest-types.js';
import { flagChangeBody, flagHistory, flagList, flagView } from './schemas.js';

export const flagFunctions: readonly FunctionSpec[] = [
  {
    name: 'flags-api',
    description: 'Lists, reads and changes feature flags (boolean, actor and percentage gates) and their history.',
    entry: 'functions/flags-api/handler.ts',
    triggers: [
      { kind: 'http', method: 'GET', path: '/v1/flags', auth: 'operator', role: 'viewer', doc: { summary: 'Every feature flag and its gates', response: flagList } },
      { kind: 'http', method: 'GET', path: '/v1/flags/{name}', auth: 'operator', role: 'viewer', doc: { summary: "A flag's gates and version", response: flagView } },
      {
        kind: 'http',
        method: 'PUT',
        path: '/v1/flags/{name}',
        auth: 'operator',
        role: 'admin',
        doc: {
          summary: 'Changes the gates named in the body (creates the flag, every gate off, when missing); 201 when created',
          body: flagChangeBody,
          response: flagView,
        },
      },
      {
        kind: 'http',
        method: 'GET',
        path: '/v1/flags/{name}/history',
        auth: 'operator',
        role: 'viewer',
        doc: { summary: "A flag's changes, newest first, with operator, before and after", response: flagHistory },
      },
    ],
    tables: { flags: 'readWrite' },
  },
];
