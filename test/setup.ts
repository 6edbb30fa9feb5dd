import 'aws-sdk-client-mock-vitest/extend';

// Quiet, deterministic logs in tests; the SDK's Node 20 notice is known (TOOLCHAIN.md).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Handlers run in-process count their metrics (the process counters still count) without an EMF
// line on stdout each time. Runs before every test file, so a file that deleted it gets it back;
// test/unit/platform/metrics.test.ts unsets it to assert on the EMF lines themselves.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
