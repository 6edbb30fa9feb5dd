/**
 * `npm run bench`: the figures that matter, measured side by side in one run on one machine —
 * DynamoDB calls per event, throughput against raw DynamoDB, the bus path from PutEvents to the
 * published change, bundle size and init time, and the runtime's memory. Starts its own DynamoDB
 * Local in memory; writes bench/results.json.
 *
 *   npm run bench                      the full run (a few minutes)
 *   npm run bench -- --quick           a fast look (under a minute)
 *   npm run bench -- --only throughput,bus   some phases only (calls, throughput, bus, init, audit)
 *   npm run bench -- --out FILE        write the results elsewhere
 *   npm run bench -- --profile         also write a CPU profile of the runtime process
 *
 * The environment is set before anything else is imported: loggers read their level when created.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The functions of the runtime the bench runs itself (call counting) take these from it (local
// runtime: the developer's log level) and would log and emit metrics (EMF) on stdout for each
// request; the bench prints its table there instead. The runtime process under load keeps both.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

await import('./main.js');
export {};
