/**
 * Where a CPU profile's time went, by package (or repository file) and by function: the quick read
 * of a `node --cpu-prof` profile (`npm run bench -- --profile` writes one of the runtime process).
 *
 *   npx tsx bench/profile-summary.ts /tmp/provisioning-bench-profile-XXXX/CPU.*.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';
import * as z from '../shared/platform/zod.js';

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.optional(z.array(z.number())),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

export type CpuProfile = z.infer<typeof profileSchema>;

export interface ProfileSummary {
  totalMs: number;
  byGroup: Array<{ group: string; ms: number }>;
  byFunction: Array<{ fn: string; ms: number }>;
}

/** `node_modules/@scope/pkg/...` → `@scope/pkg`; repository files keep their path; V8's own entries their name. */
export function groupOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'anonymous'})`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith('node:')) return url;
  const repo = /\/work\/[^/]+\/(.+)$/.exec(url.replace(/^file:\/\//, ''));
  return repo ? repo[1]! : url.replace(/^file:\/\//, '');
}

/** Self time per group and per function, largest first. */
export function summarize(profile: CpuProfile, top = 25): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byGroup = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  for (const [id, ms] of selfMs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    totalMs += ms;
    const group = groupOf(frame.url, frame.functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + ms);
    const fn = `${frame.functionName || '(anonymous)'} ${group}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const sorted = <K extends string>(map: Map<string, number>, key: K) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ [key]: name, ms }) as { [P in K]: string } & { ms: number });
  return { totalMs, byGroup: sorted(byGroup, 'group'), byFunction: sorted(byFunction, 'fn') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, topText] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: npx tsx bench/profile-summary.ts FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const summary = summarize(profileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))), Number(topText ?? 25));
  const pct = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%`;
  process.stdout.write(`total sampled: ${(summary.totalMs / 1000).toFixed(1)} s\n\nself time by package / file\n`);
  for (const { group, ms } of summary.byGroup) process.stdout.write(`  ${pct(ms)}  ${(ms / 1000).toFixed(2).padStart(7)} s  ${group}\n`);
  process.stdout.write('\nself time by function\n');
  for (const { fn, ms } of summary.byFunction) process.stdout.write(`  ${pct(ms)}  ${(ms / 1000).toFixed(2).padStart(7)} s  ${fn}\n`);
}
