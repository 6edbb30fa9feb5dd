/**
 * Stack traces of a bundled function name the sources, with the map read at the first stack trace
 * (shared/platform/stack-traces.ts), built with the stack's bundling options and run in a plain `node`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_ESBUILD_OPTIONS } from '../../../bench/init.js';
import { installLazySourceMaps } from '../../../shared/platform/stack-traces.js';

const run = promisify(execFile);
let dir: string;

/** A handler module whose `inner` throws on line 5, column 9. */
const FIXTURE = `import { loadedMaps } from ${JSON.stringify(path.resolve('shared/platform/stack-traces.ts'))};
export const mapsAtLoad = loadedMaps().length;
export function inner(): never {
  // line 4
  throw new TypeError('boom');
}
export function handler() {
  try {
    inner();
  } catch (error) {
    return { stack: (error as Error).stack, mapsAfterError: loadedMaps().length };
  }
}
`;

async function bundle(withMap: boolean): Promise<string> {
  const out = path.join(dir, withMap ? 'with-map' : 'without-map', 'index.js');
  await esbuild.build({ ...STACK_ESBUILD_OPTIONS, sourcemap: withMap, entryPoints: [path.join(dir, 'fixture.ts')], outfile: out, absWorkingDir: dir });
  return out;
}

const probe = "const m = require(process.argv[1]); process.stdout.write(JSON.stringify({ mapsAtLoad: m.mapsAtLoad, ...m.handler() }));";

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'stack-traces-'));
  writeFileSync(path.join(dir, 'fixture.ts'), FIXTURE);
});

describe('Module: stack-traces', () => {
  it('names the source file, line and function in a minified bundle, reading the map only at the first stack trace', async () => {
    const file = await bundle(true);
    const { stdout } = await run(process.execPath, ['-e', probe, file]);
    const result = JSON.parse(stdout) as { stack: string; mapsAtLoad: number; mapsAfterError: number };
    expect(result.stack.split('\n')[0]).toBe('TypeError: boom');
    expect(result.stack.split('\n')[1]).toBe('    at inner (fixture.ts:5:9)');
    expect(result.stack).not.toContain('index.js:');
    expect(result.mapsAtLoad).toBe(0);
    expect(result.mapsAfterError).toBe(1);
  });

  it('leaves the bundle positions when there is no map', async () => {
    const file = await bundle(false);
    const { stdout } = await run(process.execPath, ['-e', probe, file]);
    expect((JSON.parse(stdout) as { stack: string }).stack).toMatch(/at \w+ \(.*without-map\/index\.js:\d+:\d+\)/);
  });

  it('stands aside when Node maps stacks itself (--enable-source-maps)', async () => {
    const file = await bundle(true);
    const { stdout } = await run(process.execPath, ['--enable-source-maps', '-e', probe, file]);
    const result = JSON.parse(stdout) as { stack: string; mapsAfterError: number };
    expect(result.stack).toMatch(/at inner \(.*fixture\.ts:5:9\)/);
    expect(result.mapsAfterError).toBe(0);
  });

  it('is not installed outside a bundle (the sources under tsx or a test runner)', () => {
    expect(installLazySourceMaps()).toBe(false);
    expect(installLazySourceMaps(path.join(dir, 'nowhere.js'))).toBe(false);
  });
});
