import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IDestination, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ASYNC_INVOKE_DEFAULTS, FUNCTION_DEFAULTS, functionSettings } from '../shared/platform/manifest-types.js';
import type { FunctionSpec } from '../shared/platform/manifest-types.js';

export interface AsyncInvokeOptions {
  /** Where a failed asynchronous invocation goes after Lambda's own retries. */
  readonly onFailure: IDestination;
  readonly retryAttempts?: number;
  readonly maxEventAge?: Duration;
}

export interface ServiceFunctionProps {
  readonly spec: FunctionSpec;
  /** Absolute path of the repository root: manifest entries and the lockfile are relative to it. */
  readonly repoRoot: string;
  readonly logRetention: RetentionDays;
  /** Every variable the function gets (infra/function-config.ts `functionEnvironment`). */
  readonly environment: Readonly<Record<string, string>>;
  /** Set for functions invoked asynchronously (event rules, schedules). */
  readonly async?: AsyncInvokeOptions;
}

/**
 * One Lambda of the service with the defaults every function shares: Node.js 22 on arm64, a minified
 * CommonJS bundle with source maps and the AWS SDK left to the runtime, memory, timeout and async
 * retries from FUNCTION_DEFAULTS (the local runtime applies the same), its own log group with
 * retention, and a role that may write only to that log group. Table and bus access is granted by
 * the caller, from the manifest.
 *
 * @example
 * const fn = new ServiceFunction(this, spec.name, { spec, repoRoot, logRetention, environment });
 * table.grantReadData(fn.fn);
 */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { spec, repoRoot } = props;
    const settings = functionSettings(spec);
    const functionName = `${Stack.of(this).stackName}-${spec.name}`;
    if (!Token.isUnresolved(functionName) && functionName.length > 64) {
      throw new Error(`Function name ${functionName} is longer than Lambda's 64 characters: shorten "${spec.name}"`);
    }

    this.logGroup = new LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: props.logRetention,
      // Retention bounds the logs already; a retained, named log group would block re-creating the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to every log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${functionName}`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      functionName,
      description: spec.description,
      entry: path.resolve(repoRoot, spec.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: settings.memoryMb,
      timeout: Duration.seconds(settings.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      // The whole environment, Powertools' settings included, is infra/function-config.ts's.
      // No --enable-source-maps: it decodes the map at every cold start (about 5 ms of the import).
      // shared/platform/stack-traces.ts maps stack traces from the map beside the bundle at the first one.
      environment: { ...props.environment },
      bundling: {
        minify: true,
        sourceMap: true,
        // Stack traces need names and lines, not the sources: they would double the zip.
        sourcesContent: false,
        target: 'node22',
        // CommonJS, so the runtime's AWS SDK (CommonJS for Node) loads with require(). An ES module
        // importing it makes Node parse each SDK package for its export names first: 30–40 ms of
        // every cold start (npm run bench, issue 5). The sources stay ES modules ('module' first,
        // for tree shaking); nothing in them needs import.meta or top-level await.
        format: OutputFormat.CJS,
        mainFields: ['module', 'main'],
        // The Node.js 22 runtime ships AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
      ...(props.async && {
        onFailure: props.async.onFailure,
        retryAttempts: props.async.retryAttempts ?? ASYNC_INVOKE_DEFAULTS.maximumRetryAttempts,
        maxEventAge: props.async.maxEventAge ?? Duration.seconds(ASYNC_INVOKE_DEFAULTS.maximumEventAgeSeconds),
      }),
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The design fixes the Node.js 22 runtime: the bundles target node22 and the machines building them run Node 20/22; a runtime upgrade is its own reviewed change.',
    });
  }
}
