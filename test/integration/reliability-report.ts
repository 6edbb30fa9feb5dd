/**
 * The reliability figures are written by the tests that measure them: each test file records its
 * section, and docs/reliability.md is rebuilt from all sections. Figures are counts from fixed
 * seeds, so a re-run writes the same file.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../local/runtime.js';

const SECTIONS = path.join(REPO_ROOT, 'docs', 'reliability');
const REPORT = path.join(REPO_ROOT, 'docs', 'reliability.md');

export interface Section {
  /** Orders the sections in the report. */
  order: number;
  title: string;
  /** Rows of figure → value. */
  figures: Array<[string, string | number]>;
  notes?: string[];
}

export function recordSection(id: string, section: Section): void {
  mkdirSync(SECTIONS, { recursive: true });
  writeFileSync(path.join(SECTIONS, `${id}.json`), `${JSON.stringify(section, null, 2)}\n`);
  const sections = readdirSync(SECTIONS)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(SECTIONS, f), 'utf8')) as Section)
    .sort((a, b) => a.order - b.order);
  const lines = [
    '# Reliability figures',
    '',
    'Written by the tests that measure them (`npm test`; the sections live in `docs/reliability/`).',
    'Seeds are fixed, so a re-run gives the same figures.',
    '',
  ];
  for (const s of sections) {
    lines.push(`## ${s.title}`, '', '| figure | value |', '|---|---|');
    for (const [k, v] of s.figures) lines.push(`| ${k} | ${v} |`);
    if (s.notes?.length) lines.push('', ...s.notes.map((n) => `- ${n}`));
    lines.push('');
  }
  writeFileSync(REPORT, lines.join('\n'));
}
