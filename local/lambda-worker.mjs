/**
 * One Lambda execution environment of the local runtime (local/functions.ts): a worker thread with
 * its own module graph, its own `process.env` (the function's template environment) and V8 heap
 * limit (its memory size). It loads the function's code once (the init phase: the handler's module,
 * as Lambda imports it at a cold start), then runs one invocation at a time on request.
 *
 * Plain JavaScript on purpose: the code runs here as on Lambda's Node runtime, a CommonJS bundle
 * (cdk.out's, or the sources built the same way by local/functions.ts) with nothing compiled here.
 *
 * flow: workerData {code, context} --> init (import handler) --> 'ready' | 'init-error'
 *       'invoke' {id, event, requestId, deadline} --> handler(event, context) --> 'result' {id, ok, value | error}
 */
import { readFileSync, writeSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const { code, context, runtimeModules } = workerData;

// The function's log lines go straight to the process's stdout and stderr, as Lambda's runtime
// writes them to its log pipe: not through the runtime's main thread, which serves the API, the
// bus and the IAM gate (a worker's own process.stdout is a stream the main thread would copy).
for (const [stream, fd] of [[process.stdout, 1], [process.stderr, 2]]) {
  stream.write = (chunk, encoding, callback) => {
    writeSync(fd, typeof chunk === 'string' ? chunk : Buffer.from(chunk));
    (typeof encoding === 'function' ? encoding : callback)?.();
    return true;
  };
}

/** An error as Lambda reports it: errorType and errorMessage, the stack kept for the log. */
const serialize = (error) => ({
  name: error instanceof Error ? error.name : 'Error',
  message: error instanceof Error ? error.message : String(error),
  stack: error instanceof Error ? error.stack : undefined,
});

/**
 * A CommonJS bundle (cdk.out/asset.<hash>/index.js), loaded as Lambda's runtime loads it. The
 * repository's package.json says "type": "module", which would make Node read the bundle as an ES
 * module: compiled here as the CommonJS module it is, resolving its requires from its own folder
 * (the AWS SDK from node_modules, as the Lambda runtime provides it).
 */
function requireBundle(file) {
  const bundle = new Module(file);
  bundle.filename = file;
  // Then where the Lambda runtime keeps the AWS SDK it provides (here the repository's node_modules).
  bundle.paths = [...Module._nodeModulePaths(path.dirname(file)), runtimeModules];
  bundle._compile(readFileSync(file, 'utf8'), file);
  return bundle.exports;
}

async function load() {
  // Bundles built from the sources carry a map: stack traces then name the .ts files.
  if (code.sourceMaps) process.setSourceMapsEnabled(true);
  return requireBundle(code.file);
}

let handler;
const started = performance.now();
try {
  const mod = await load();
  handler = mod.handler ?? mod.default?.handler;
  if (typeof handler !== 'function') throw Object.assign(new Error(`${code.file} does not export a handler function`), { name: 'Runtime.HandlerNotFound' });
  parentPort.postMessage({ type: 'ready', initMs: performance.now() - started });
} catch (error) {
  parentPort.postMessage({ type: 'init-error', error: serialize(error) });
}

parentPort.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const { id, event, requestId, deadline } = message;
  const lambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: context.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: context.functionArn,
    memoryLimitInMB: String(context.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${context.functionName}`,
    logStreamName: context.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const value = await handler(event, lambdaContext);
    // What Lambda returns is JSON: a value that is not (a function, a cycle) fails as it would there.
    parentPort.postMessage({ type: 'result', id, ok: true, value: value === undefined ? undefined : JSON.parse(JSON.stringify(value)) });
  } catch (error) {
    parentPort.postMessage({ type: 'result', id, ok: false, error: serialize(error) });
  }
});
