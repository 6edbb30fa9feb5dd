/**
 * The direction of imports (test/architecture/rules.ts) holds on the repository, and each rule
 * fails on test/fixtures/architecture/: a small tree with one forbidden import of each kind beside
 * allowed ones (another feature's index, domain and events; the platform; comments and strings
 * that only look like imports).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RULES, checkArchitecture, importGraph } from '../architecture/rules.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/architecture', import.meta.url));

describe('Architecture', () => {
  it('holds on shared/ and functions/', () => {
    const { files } = importGraph(REPO_ROOT);
    expect(files.length).toBeGreaterThan(100);
    expect(checkArchitecture(REPO_ROOT).map((v) => v.message)).toEqual([]);
  });

  it('reads type-only imports, re-exports and dynamic imports, not comments or strings', () => {
    const { edges } = importGraph(FIXTURE);
    const targets = (from: string) => edges.filter((e) => e.from === from).map((e) => e.to);
    expect(targets('shared/platform/bus.ts')).toEqual(['shared/delta/domain.ts']);
    expect(targets('shared/beta/reaches-in.ts')).toEqual(['shared/alpha/store.ts']);
    expect(targets('shared/beta/lazy.ts')).toEqual(['shared/alpha/handler.ts']);
    expect(targets('shared/platform/log.ts')).toEqual([]);
  });

  it('fails on each forbidden import of the fixture, and only on those', () => {
    const found = checkArchitecture(FIXTURE).map(({ rule, from, to }) => ({ rule, from, to }));
    expect(found).toEqual([
      { rule: 'feature-internals', from: 'shared/beta/lazy.ts', to: 'shared/alpha/handler.ts' },
      { rule: 'feature-internals', from: 'shared/beta/reaches-in.ts', to: 'shared/alpha/store.ts' },
      { rule: 'folder-cycle', from: 'shared/alpha/index.ts', to: 'shared/beta/domain.ts' },
      { rule: 'function-imports-function', from: 'functions/one/handler.ts', to: 'functions/two/handler.ts' },
      { rule: 'loose-shared-file', from: 'shared/loose.ts', to: 'shared/loose.ts' },
      { rule: 'platform-imports-feature', from: 'shared/platform/bus.ts', to: 'shared/delta/domain.ts' },
      { rule: 'service-imported-below', from: 'functions/one/handler.ts', to: 'shared/service/catalog.ts' },
      { rule: 'service-imported-below', from: 'shared/gamma/reads-catalog.ts', to: 'shared/service/catalog.ts' },
      { rule: 'shared-imports-above', from: 'shared/gamma/wiring.ts', to: 'functions/one/handler.ts' },
    ]);
    expect(new Set(found.map((v) => v.rule))).toEqual(new Set(RULES));
  });

  it('names the cycle and the imports that close it', () => {
    const cycle = checkArchitecture(FIXTURE).find((v) => v.rule === 'folder-cycle');
    expect(cycle?.message).toContain('alpha → beta → alpha');
    expect(cycle?.message).toContain('shared/alpha/index.ts imports shared/beta/domain.ts');
    expect(cycle?.message).toMatch(/shared\/beta\/\S+ imports shared\/alpha\//);
  });
});
