/**
 * `npm start` as a user runs it: a child process with its own DynamoDB Local. Persisted data survives
 * a restart, SIGTERM leaves no Java process, a taken port or a missing java ends with one line.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort } from '../../local/runtime.js';

/**
 * What `npm start` runs (package.json's script): one Node process with tsx's loader. (The `tsx` CLI runs the script in a
 * child and relays SIGTERM to it, then SIGKILLs it when it has not answered within 30 ms: on a busy
 * machine that left DynamoDB Local's Java process behind.)
 */
const START = (() => {
  const script = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
  if (script[0] !== 'node') throw new Error(`npm start runs ${script[0]}, not node: update this test`);
  return [process.execPath, ...script.slice(1)] as const;
})();
const dataDir = mkdtempSync(path.join(tmpdir(), 'provisioning-start-'));
// 32 characters at least: shorter tokens from the environment are refused.
const tokens = { PROVISIONING_SERVICE_TOKEN: 'start-test-service-token-0123456789', PROVISIONING_OPERATOR_TOKEN: 'start-test-operator-token-012345678' };

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string>): Started {
  const child = spawn(START[0], [...START.slice(1), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...tokens, POWERTOOLS_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitHealthy(port: number, started: Started): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
    if (ok) return;
    if (started.child.exitCode !== null) throw new Error(`npm start exited: ${started.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not healthy: ${started.output()}`);
}

const clearTimeoutOnExit = (run: Started, timer: NodeJS.Timeout) => void run.exited.finally(() => clearTimeout(timer));

const javaPids = (marker: string): number[] =>
  spawnSync('pgrep', ['-f', `DynamoDBLocal.*${marker}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);

const call = (port: number, method: string, route: string, body?: unknown) =>
  fetch(`http://127.0.0.1:${port}${route}`, {
    method,
    headers: { authorization: `Bearer ${tokens.PROVISIONING_SERVICE_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('keeps data across a restart and leaves no Java process after SIGTERM', async () => {
    const port = await freePort();
    const first = start(['--data-dir', dataDir], { PORT: String(port) });
    await waitHealthy(port, first);
    expect(first.output()).toContain(`http://127.0.0.1:${port}`);
    expect(first.output()).toContain('DynamoDB endpoint');
    expect(first.output()).toContain('(from the environment)');
    expect(first.output()).not.toContain(tokens.PROVISIONING_SERVICE_TOKEN);
    // The support and viewer tokens are generated, printed and kept (0600) beside the others.
    const kept = JSON.parse(readFileSync(path.join(dataDir, 'tokens.json'), 'utf8')) as Record<string, string>;
    for (const [kind, variable] of [['support', 'PROVISIONING_SUPPORT_TOKEN'], ['viewer', 'PROVISIONING_VIEWER_TOKEN']] as const) {
      expect(kept[kind]?.length, kind).toBeGreaterThanOrEqual(32);
      expect(first.output()).toContain(`${variable}=${kept[kind]}  (generated`);
    }
    const put = await call(port, 'PUT', '/v1/namespaces/77/seat-usage', {
      eventId: 'restart-1', occurredAt: '2026-01-01T00:00:00Z', seatsInUse: 9, measuredAt: '2026-01-01T00:00:00Z',
    });
    expect(put.status).toBe(200);
    expect(javaPids(dataDir).length).toBe(1);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(javaPids(dataDir)).toEqual([]);

    const second = start(['--data-dir', dataDir], { PORT: String(port) });
    await waitHealthy(port, second);
    expect(second.output()).toContain(`PROVISIONING_VIEWER_TOKEN=${kept.viewer}`);
    const state = await call(port, 'GET', '/v1/namespaces/77/subscription');
    expect(await state.json()).toMatchObject({ namespaceId: 77, seatsInUse: 9, version: 1 });
    // The outbox published the change before the stop and kept its checkpoint: nothing is sent again.
    const checkpoints = JSON.parse(readFileSync(path.join(dataDir, 'stream-checkpoints.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(Object.values(checkpoints).flatMap((shards) => Object.values(shards)).length).toBeGreaterThan(0);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(javaPids(dataDir)).toEqual([]);
  });

  it('ends with one line when the port is taken', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const run = start(['--in-memory'], { PORT: String(port) });
      clearTimeoutOnExit(run, setTimeout(() => run.child.kill('SIGKILL'), 20_000));
      expect(await run.exited).toBe(1);
      expect(run.output().trim()).toBe(`provisioning: port ${port} is taken: stop what is using it or start on another port, e.g. PORT=${port + 1} npm start`);
    } finally {
      blocker.close();
    }
  });

  it('ends with one line when a token from the environment is shorter than 32 characters', async () => {
    const run = start(['--in-memory'], { PORT: String(await freePort()), PROVISIONING_OPERATOR_TOKEN: 'short-operator-token' });
    clearTimeoutOnExit(run, setTimeout(() => run.child.kill('SIGKILL'), 20_000));
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toMatch(/^provisioning: PROVISIONING_OPERATOR_TOKEN is 20 characters long; tokens must have at least 32[^\n]*$/);
  });

  it('creates its data directories 0700 and its files 0600 (umask 022 would give 0755 and 0644)', () => {
    // The first test ran npm start on dataDir.
    for (const dir of [dataDir, path.join(dataDir, 'dynamodb')]) expect(statSync(dir).mode & 0o777, dir).toBe(0o700);
    for (const file of ['tokens.json', 'stream-checkpoints.json', 'gitlab-webhook-secret']) {
      const full = path.join(dataDir, file);
      if (file !== 'gitlab-webhook-secret' || existsSync(full)) expect(statSync(full).mode & 0o777, file).toBe(0o600);
    }
  });

  it('ends with one line when java is missing', async () => {
    // A PATH with node and nothing else.
    const nodeOnly = mkdtempSync(path.join(tmpdir(), 'node-only-'));
    symlinkSync(process.execPath, path.join(nodeOnly, 'node'));
    const run = start(['--in-memory'], { PORT: String(await freePort()), PATH: nodeOnly });
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
    clearTimeoutOnExit(run, timer);
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toMatch(/^provisioning: java was not found on PATH: install a Java 17\+ runtime .* and run npm start again\.$/);
  });
});
