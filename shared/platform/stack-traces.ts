/**
 * Stack traces that name the sources (`shared/lifecycle/execute.ts:120:11`, not `index.js:2:51311`)
 * in a bundled function, with the source map read at the first stack trace instead of at every
 * cold start.
 *
 * Node's `--enable-source-maps` reads and decodes the bundle's source map while it loads the
 * bundle: about 5 ms of each function's import (`npm run bench`, issue 5). Here V8's stack
 * formatting is hooked instead (`Error.prepareStackTrace`, which V8 calls when a stack is first
 * read), and the map beside a bundle (`index.js.map`) is decoded with Node's own `SourceMap` when a
 * frame of that bundle is first formatted. Log lines, error-log backtraces and the failure records
 * Lambda writes all read `error.stack`, so all of them get source positions.
 *
 * It stands aside where stacks are mapped already: under `--enable-source-maps` and outside a bundle
 * (tsx, `npm start` and the tests run the TypeScript sources).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

const maps = new Map<string, SourceMap | null>();

/** The decoded map of `file` (its `.map` beside it), or null when it has none or it cannot be read. */
function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  map = null;
  try {
    if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  } catch {
    // An unreadable map leaves the bundle's own positions: a stack trace must never fail.
  }
  maps.set(file, map);
  return map;
}

type Entry = { originalSource?: string; originalLine: number; originalColumn: number; name?: string };

const entryAt = (map: SourceMap, line: number | null | undefined, column: number | null | undefined): Entry | undefined =>
  line && column ? (map.findEntry(line - 1, column - 1) as Entry) : undefined;

/**
 * The function's name in the sources, as Node finds it: the name the map gives the enclosing
 * function, or else the one at the call in the next frame of the same bundle.
 */
function originalName(map: SourceMap, site: NodeJS.CallSite, next: NodeJS.CallSite | undefined): string | undefined {
  const enclosing = site as NodeJS.CallSite & { getEnclosingLineNumber?(): number; getEnclosingColumnNumber?(): number };
  const own = entryAt(map, enclosing.getEnclosingLineNumber?.(), enclosing.getEnclosingColumnNumber?.())?.name;
  if (own) return own;
  return next && next.getFileName() === site.getFileName() ? entryAt(map, next.getLineNumber(), next.getColumnNumber())?.name : undefined;
}

/** The bundles whose maps were read so far (the first stack trace of a bundle reads its map). */
export const loadedMaps = (): string[] => [...maps.keys()];

/** One frame as V8 writes it, with the source's position (and function name) when the map has them. */
export function mapFrame(site: NodeJS.CallSite, next?: NodeJS.CallSite): string {
  let text = site.toString();
  const file = site.getFileName();
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!file || line === null || column === null || !file.endsWith('.js')) return text;
  const map = mapOf(file);
  if (!map) return text;
  const entry = entryAt(map, line, column);
  if (!entry?.originalSource) return text;
  const minified = site.getFunctionName();
  const name = originalName(map, site, next);
  if (minified && name && text.startsWith(minified)) text = name + text.slice(minified.length);
  else if (minified && name) text = text.replace(` ${minified} (`, ` ${name} (`).replace(`.${minified} (`, `.${name} (`);
  // The map names sources relative to the bundle at build time (`../../shared/log.ts`): the
  // repository path is what a reader can open.
  const source = entry.originalSource.replace(/^file:\/\//, '').replace(/^(\.\.\/)+/, '');
  const where = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return text.replace(`${file}:${line}:${column}`, where);
}

/** V8's format (`Name: message` then `    at …` lines), each frame mapped. */
export function formatStack(error: Error, sites: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = 'Error';
  }
  return [header, ...sites.map((site, i) => {
    try {
      return `    at ${mapFrame(site, sites[i + 1])}`;
    } catch {
      return `    at ${String(site)}`;
    }
  })].join('\n');
}

/**
 * Installs the hook in a bundle that has a map beside it (`__filename` is the CommonJS bundle's own
 * path; under tsx or a test runner the sources are ES modules without one), unless Node maps stacks
 * itself. Answers whether it did.
 */
export function installLazySourceMaps(bundle = typeof __filename === 'string' ? __filename : undefined): boolean {
  if (process.sourceMapsEnabled || !bundle?.endsWith('.js') || !existsSync(`${bundle}.map`)) return false;
  Error.prepareStackTrace = formatStack;
  return true;
}

installLazySourceMaps();
