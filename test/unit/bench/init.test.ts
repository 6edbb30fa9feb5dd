import { describe, expect, it } from 'vitest';
import { bundledFunctions, composition } from '../../../bench/init.js';
import { firstError } from '../../../bench/text.js';
import { functions, httpRoutes } from '../../../shared/service/manifest.js';

describe('Function: composition', () => {
  it('adds up a bundle by package, the repository\'s own files as service code, largest first', () => {
    // Prepare: esbuild metafile inputs
    const inputs = {
      'node_modules/zod/v4/classic/schemas.js': { bytesInOutput: 60_000 },
      'node_modules/zod/v4/core/core.js': { bytesInOutput: 35_000 },
      'node_modules/@aws-lambda-powertools/logger/lib/esm/Logger.js': { bytesInOutput: 17_000 },
      'shared/lifecycle/domain/rules.ts': { bytesInOutput: 6_000 },
      'functions/seat-usage-reported/handler.ts': { bytesInOutput: 31 },
      'node_modules/@middy/core/index.js': { bytesInOutput: 2_600 },
    };

    // Act
    const parts = composition(inputs, 3);

    // Assess
    expect(parts).toEqual([
      { part: 'zod', bytes: 95_000 },
      { part: '@aws-lambda-powertools/logger', bytes: 17_000 },
      { part: '(service code)', bytes: 6_031 },
    ]);
  });
});

describe('Function: firstError', () => {
  it('picks the line that says what failed, not the stack below it', () => {
    const output = ['> cdk synth --quiet', '', 'Error: TABLE_STATE is not set', '    at tableName (shared/platform/tables.ts:80:9)', '    at main (infra/app.ts:8:17)'].join('\n');

    expect(firstError(output)).toBe('Error: TABLE_STATE is not set');
  });

  it('finds a Node error with its code in a child process\'s stderr', () => {
    const stderr = "node:internal/modules/run_main:123\n    triggerUncaughtException(\n    ^\nError [ERR_MODULE_NOT_FOUND]: Cannot find module '/work/main/functions/x/handler.ts'\n    at finalizeResolution (node:internal/modules/esm/resolve:283:11)";

    expect(firstError(stderr)).toBe("Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/work/main/functions/x/handler.ts'");
  });

  it('falls back to the last lines when no line names an error', () => {
    expect(firstError('one\ntwo\nthree\nfour')).toBe('two | three | four');
  });
});

describe('Function: bundledFunctions', () => {
  it('is every manifest function and the webhook authorizer the stack builds beside them', () => {
    const names = bundledFunctions().map((fn) => fn.name);
    expect(names).toEqual([...functions.map((fn) => fn.name), 'webhook-authorizer']);
    expect(httpRoutes().some((route) => route.auth === 'webhook')).toBe(true);
  });
});
