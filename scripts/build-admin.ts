/**
 * `npx tsx scripts/build-admin.ts`: writes admin/assets.generated.ts from the admin page's files
 * (admin/build.ts says why the page is bundled as strings). Run it after editing admin/*.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GENERATED_FILE, renderAdminAssets } from '../admin/build.js';

const text = renderAdminAssets();
let current = '';
try {
  current = readFileSync(GENERATED_FILE, 'utf8');
} catch {
  current = '';
}
if (current === text) {
  process.stdout.write(`${path.relative(process.cwd(), GENERATED_FILE)} is up to date\n`);
} else {
  writeFileSync(GENERATED_FILE, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), GENERATED_FILE)} (${Buffer.byteLength(text)} bytes)\n`);
}
