import 'aws-sdk-client-mock-vitest/extend';

// Quiet, deterministic logs in tests; the SDK's Node 20 notice is known (TOOLCHAIN.md).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
