/**
 * `npm run schemas`: writes each event's detail JSON Schema to docs/events/<source>.<detail-type>.json.
 * `npm run schemas -- --check` fails when a committed schema differs from the zod contract.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderEventSchemas } from '../shared/service/event-catalog.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'events');
const check = process.argv.includes('--check');

const wanted = renderEventSchemas();
if (check) {
  const stale = [...wanted].filter(([file, text]) => {
    try {
      return readFileSync(path.join(dir, file), 'utf8') !== text;
    } catch {
      return true;
    }
  });
  if (stale.length) {
    console.error(`docs/events is out of date (${stale.map(([f]) => f).join(', ')}): run npm run schemas`);
    process.exit(1);
  }
  console.log(`docs/events: ${wanted.size} schemas up to date`);
} else {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) if (file.endsWith('.json') && !wanted.has(file)) rmSync(path.join(dir, file));
  for (const [file, text] of wanted) writeFileSync(path.join(dir, file), text);
  console.log(`wrote ${wanted.size} event schemas to docs/events/`);
}
