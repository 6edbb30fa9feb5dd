/**
 * The direction of imports in shared/ and functions/, as rules over the import graph that
 * TypeScript's own scanner reads (`ts.preProcessFile`): type-only imports, `export … from` and
 * dynamic `import()` all count, because each one ties a folder to another just the same.
 *
 * - `shared/platform/` is plumbing: it imports no other folder of shared/.
 * - A feature (any other folder of shared/ but `service/`) uses another feature only through what
 *   that feature publishes: its `index.ts`, its `domain.ts` or `domain/**`, its `events.ts`.
 * - `shared/service/` composes every feature: only the deployers and tools above it import it.
 * - `functions/<name>/` are separate Lambdas: one never imports another.
 * - shared/ imports nothing above it (functions/, infra/, local/…) and holds no loose file.
 * - No cycle between the folders of shared/.
 *
 * test/unit/architecture.test.ts runs these on the real tree and on test/fixtures/architecture/.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const RULES = [
  'platform-imports-feature',
  'feature-internals',
  'service-imported-below',
  'function-imports-function',
  'shared-imports-above',
  'loose-shared-file',
  'folder-cycle',
] as const;
export type RuleName = (typeof RULES)[number];

/** One import, as paths relative to the checked root (`shared/lifecycle/store.ts`). */
export interface ImportEdge {
  from: string;
  to: string;
}

export interface Violation {
  rule: RuleName;
  /** The importing file (for a cycle: the first import of the cycle). */
  from: string;
  to: string;
  message: string;
}

/** The folders the graph is read from. */
export const SCANNED = ['shared', 'functions'] as const;
/** What a feature publishes to other features, relative to its folder. */
export const PUBLIC_SURFACE = [/^index\.ts$/, /^domain\.ts$/, /^domain\//, /^events\.ts$/];
/** Who may import shared/service/ (besides itself): what deploys, runs or measures the service. */
export const SERVICE_IMPORTERS = ['infra/', 'local/', 'scripts/', 'bench/', 'test/', 'functions/openapi/', 'shared/service/'];
/** What sits on top of shared/ (admin/, the admin page's generated assets, is data below it). */
export const ABOVE_SHARED = ['functions/', 'infra/', 'local/', 'scripts/', 'bench/', 'test/'];

const SOURCE = /\.(ts|tsx|mts|cts)$/;

function sourceFiles(root: string, dir: string): string[] {
  const full = path.join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((entry) => {
    const rel = `${dir}/${entry}`;
    if (statSync(path.join(root, rel)).isDirectory()) return sourceFiles(root, rel);
    return SOURCE.test(entry) && !entry.endsWith('.d.ts') ? [rel] : [];
  });
}

/** A relative specifier as the file it names (`./store.js` → `store.ts`, `./dir` → `dir/index.ts`). */
function resolveSpecifier(root: string, from: string, specifier: string): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const candidates = [base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, `${base}/index.ts`, base];
  return candidates.find((c) => existsSync(path.join(root, c)) && statSync(path.join(root, c)).isFile()) ?? candidates[0]!;
}

/** Every relative import of every source file under shared/ and functions/ of `root`. */
export function importGraph(root: string): { files: string[]; edges: ImportEdge[] } {
  const files = SCANNED.flatMap((dir) => sourceFiles(root, dir));
  const edges = files.flatMap((from) =>
    ts
      .preProcessFile(readFileSync(path.join(root, from), 'utf8'), true, true)
      .importedFiles.map((f) => f.fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({ from, to: resolveSpecifier(root, from, specifier) })),
  );
  return { files, edges };
}

/** `shared/<folder>/…` → folder; anything else → undefined. */
const sharedFolder = (file: string): string | undefined => /^shared\/([^/]+)\//.exec(file)?.[1];
const functionFolder = (file: string): string | undefined => /^functions\/([^/]+)\//.exec(file)?.[1];
const isFeature = (folder: string | undefined): folder is string => folder !== undefined && folder !== 'platform' && folder !== 'service';

function edgeViolations({ from, to }: ImportEdge): Violation[] {
  const found: Violation[] = [];
  const add = (rule: RuleName, message: string) => found.push({ rule, from, to, message: `${message}: ${from} imports ${to}` });
  const source = sharedFolder(from);
  const target = sharedFolder(to);

  if (source === 'platform' && target !== undefined && target !== 'platform') add('platform-imports-feature', 'shared/platform/ imports no feature');
  if (isFeature(source) && isFeature(target) && source !== target) {
    const inside = to.slice(`shared/${target}/`.length);
    if (!PUBLIC_SURFACE.some((pattern) => pattern.test(inside))) {
      add('feature-internals', `a feature uses ${target} only through its index.ts, domain or events.ts`);
    }
  }
  if (target === 'service' && !SERVICE_IMPORTERS.some((prefix) => from.startsWith(prefix))) {
    add('service-imported-below', 'shared/service/ is imported only by infra/, local/, scripts/, bench/, test/ and functions/openapi/');
  }
  const fromFunction = functionFolder(from);
  const toFunction = functionFolder(to);
  if (fromFunction !== undefined && toFunction !== undefined && fromFunction !== toFunction) {
    add('function-imports-function', 'one Lambda never imports another');
  }
  if (from.startsWith('shared/') && ABOVE_SHARED.some((prefix) => to.startsWith(prefix))) {
    add('shared-imports-above', 'shared/ imports nothing of functions/, infra/, local/, scripts/, bench/ or test/');
  }
  return found;
}

/** Strongly connected components of a directed graph (Tarjan). */
function components(nodes: string[], next: (node: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const other of next(node)) {
      if (!index.has(other)) {
        visit(other);
        low.set(node, Math.min(low.get(node)!, low.get(other)!));
      } else if (onStack.has(other)) low.set(node, Math.min(low.get(node)!, index.get(other)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      found.push(component);
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return found;
}

/** One shortest cycle through `start` inside a component, as folders (breadth-first). */
function cycleThrough(start: string, next: (node: string) => string[], members: Set<string>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const other of next(node)) {
      if (!members.has(other)) continue;
      if (other === start) {
        const cycle = [node];
        while (cycle[0] !== start) cycle.unshift(cameFrom.get(cycle[0]!)!);
        return [...cycle, start];
      }
      if (!cameFrom.has(other)) {
        cameFrom.set(other, node);
        queue.push(other);
      }
    }
  }
  return [start];
}

function cycleViolations(edges: ImportEdge[]): Violation[] {
  // Folder → folder → the first import that links them (files sorted, so the example is stable).
  const links = new Map<string, Map<string, ImportEdge>>();
  for (const edge of edges) {
    const a = sharedFolder(edge.from);
    const b = sharedFolder(edge.to);
    if (a === undefined || b === undefined || a === b) continue;
    const out = links.get(a) ?? new Map<string, ImportEdge>();
    if (!out.has(b)) out.set(b, edge);
    links.set(a, out);
  }
  const next = (folder: string) => [...(links.get(folder)?.keys() ?? [])].sort();
  const folders = [...new Set([...links.keys(), ...[...links.values()].flatMap((out) => [...out.keys()])])].sort();
  return components(folders, next)
    .filter((component) => component.length > 1)
    .map((component) => {
      const members = new Set(component);
      const cycle = cycleThrough([...component].sort()[0]!, next, members);
      const steps = cycle.slice(1).map((folder, i) => links.get(cycle[i]!)!.get(folder)!);
      return {
        rule: 'folder-cycle' as const,
        from: steps[0]!.from,
        to: steps[0]!.to,
        message:
          `folders of shared/ import each other in a cycle (${cycle.join(' → ')}; with them: ${[...component].sort().join(', ')}): ` +
          steps.map((s) => `${s.from} imports ${s.to}`).join('; '),
      };
    });
}

/**
 * Every broken rule in the tree at `root`, sorted by rule and file.
 *
 * @example
 * expect(checkArchitecture(REPO_ROOT).map((v) => v.message)).toEqual([]);
 */
export function checkArchitecture(root: string): Violation[] {
  const { files, edges } = importGraph(root);
  const sorted = [...edges].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  const loose = files
    .filter((file) => /^shared\/[^/]+$/.test(file))
    .map((file) => ({ rule: 'loose-shared-file' as const, from: file, to: file, message: `every file of shared/ belongs to a folder: ${file}` }));
  return [...loose, ...sorted.flatMap(edgeViolations), ...cycleViolations(sorted)].sort(
    (a, b) => a.rule.localeCompare(b.rule) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
  );
}
