/**
 * The local runtime runs each function in execution environments of its own (worker threads):
 * its own module state and environment, its memory size and timeout, warm reuse and cold starts.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FunctionTimeoutError, HandlerError, IsolatedFunction } from '../../../local/functions.js';
import type { IsolatedFunctionConfig } from '../../../local/functions.js';
import type { FunctionSpec } from '../../../shared/service/manifest.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/lambda');
const spec = (name: string): FunctionSpec => ({ name, description: 'probe', entry: 'test/fixtures/lambda/probe.ts', triggers: [], tables: {} });

const started: IsolatedFunction[] = [];
function probe(name: string, overrides: Partial<IsolatedFunctionConfig> = {}, idleTimeoutMs?: number): IsolatedFunction {
  const fn = new IsolatedFunction(
    {
      spec: spec(name),
      functionName: `ProvisioningService-${name}`,
      functionArn: `arn:aws:lambda:eu-west-1:000000000000:function:ProvisioningService-${name}`,
      code: { kind: 'source', file: path.join(fixtures, 'probe.ts') },
      memoryMb: 128,
      timeoutSeconds: 3,
      environment: { ONLY_HERE: name },
      ...overrides,
    },
    { idleTimeoutMs },
  );
  started.push(fn);
  return fn;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((fn) => fn.stop()));
});

describe('IsolatedFunction', () => {
  it('gives each function its own environment variables, nothing of the runtime process', async () => {
    process.env.RUNTIME_ONLY_VARIABLE = 'the runtime process has it';
    try {
      const a = probe('a');
      const b = probe('b');
      expect(await a.invoke({ action: 'env', name: 'ONLY_HERE' })).toMatchObject({ value: 'a', memory: '128', functionName: 'ProvisioningService-a' });
      expect(await b.invoke({ action: 'env', name: 'ONLY_HERE' })).toMatchObject({ value: 'b' });
      expect(await a.invoke({ action: 'env', name: 'RUNTIME_ONLY_VARIABLE' })).toMatchObject({ value: null });
    } finally {
      delete process.env.RUNTIME_ONLY_VARIABLE;
    }
  });

  it('keeps module state per environment: warm invocations share it, another function never does', async () => {
    const a = probe('a');
    const b = probe('b');
    const first = (await a.invoke({ action: 'env', name: 'X' })) as { invocations: number; loadedAt: number };
    const second = (await a.invoke({ action: 'env', name: 'X' })) as { invocations: number; loadedAt: number };
    expect(first.invocations).toBe(1);
    expect(second).toMatchObject({ invocations: 2, loadedAt: first.loadedAt });
    expect(await b.invoke({ action: 'count' })).toEqual({ invocations: 1 });
    expect(a.stats).toMatchObject({ coldStarts: 1, invocations: 2 });
  });

  it('starts another environment for concurrent invocations, up to the reserved concurrency', async () => {
    const fn = probe('busy', { reservedConcurrency: 2 });
    const results = await Promise.all(Array.from({ length: 5 }, () => fn.invoke({ action: 'sleep', ms: 150 })));
    expect(results).toHaveLength(5);
    expect(fn.stats.peakEnvironments).toBe(2);
    expect(fn.environments).toBe(2);
  });

  it('fails an invocation past the timeout as Lambda does, and starts cold afterwards', async () => {
    const fn = probe('slow', { timeoutSeconds: 1 });
    await expect(fn.invoke({ action: 'sleep', ms: 5_000 })).rejects.toThrow(new FunctionTimeoutError('Task timed out after 1.00 seconds'));
    expect(await fn.invoke({ action: 'count' })).toEqual({ invocations: 1 });
    expect(fn.stats.coldStarts).toBe(2);
  });

  it("carries the handler's error back with its name and message", async () => {
    const fn = probe('thrower');
    const error = await fn.invoke({ action: 'throw' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerError);
    expect(error).toMatchObject({ name: 'ProbeError', message: 'the probe failed on purpose' });
  });

  it('fails an invocation whose heap outgrows the memory size and replaces the environment', async () => {
    const fn = probe('hog', { memoryMb: 32 });
    await expect(fn.invoke({ action: 'hog', mb: 200 })).rejects.toMatchObject({ name: 'Runtime.OutOfMemory' });
    expect(await fn.invoke({ action: 'count' })).toEqual({ invocations: 1 });
  });

  it('reports an import that fails to the invocation, and tries again at the next', async () => {
    const fn = probe('broken', { code: { kind: 'source', file: path.join(fixtures, 'broken.ts') } });
    await expect(fn.invoke({})).rejects.toThrow(/failed to initialize: init failed on purpose/);
    await expect(fn.invoke({})).rejects.toThrow(/failed to initialize/);
    expect(fn.stats.coldStarts).toBe(2);
  });

  it('runs a CommonJS bundle as the Lambda runtime loads it, beside a package.json of type module', async () => {
    const fn = probe('bundle', { code: { kind: 'bundle', file: path.join(fixtures, 'bundle.cjs') }, environment: { AWS_REGION: 'eu-west-1' } });
    expect(await fn.invoke({ n: 1 })).toEqual({ kind: 'bundle', echo: { n: 1 }, region: 'eu-west-1' });
  });

  it('stops an environment idle for longer than the idle timeout', async () => {
    const fn = probe('idle', {}, 50);
    await fn.invoke({ action: 'count' });
    expect(fn.environments).toBe(1);
    await vi.waitFor(() => expect(fn.environments).toBe(0), { timeout: 5_000, interval: 20 });
    expect(await fn.invoke({ action: 'count' })).toEqual({ invocations: 1 });
  });
});
