/** Feature flags: the operators' routes (the flags are evaluated through OpenFeature by the functions that use them). */
import type { FunctionSpec } from '../platform/manifest-types.js';

export const flagFunctions: readonly FunctionSpec[] = [
  {
    name: 'flags-api',
    description: 'Lists, reads and changes feature flags (boolean, actor and percentage gates) and their history.',
    entry: 'functions/flags-api/handler.ts',
    triggers: [
      { kind: 'http', method: 'GET', path: '/v1/flags', auth: 'operator' },
      { kind: 'http', method: 'GET', path: '/v1/flags/{name}', auth: 'operator' },
      { kind: 'http', method: 'PUT', path: '/v1/flags/{name}', auth: 'operator' },
      { kind: 'http', method: 'GET', path: '/v1/flags/{name}/history', auth: 'operator' },
    ],
    tables: { flags: 'readWrite' },
  },
];
