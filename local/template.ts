/**
 * The functions of a synthesized template (`npm start -- --bundles`): each `AWS::Lambda::Function`
 * of `cdk.out/<stack>.template.json` with its bundle (from `<stack>.assets.json`), memory, timeout,
 * reserved concurrency, environment, the IAM policies attached to its role, its async-invoke config
 * and its stream mappings — every CloudFormation intrinsic resolved to the local resources.
 *
 * Resolved: `Ref` (pseudo parameters AWS::Region, AccountId, Partition, URLSuffix, StackName; tables,
 * the bus, secrets, the HTTP API, functions, log groups, SNS topics), `Fn::GetAtt` (a table's Arn and
 * StreamArn, the bus's Arn and Name, a log group's, queue's, function's or role's Arn), `Fn::Join`,
 * `Fn::Select`, `Fn::Split`, `Fn::Sub`; the stage URL becomes the local API's URL. Tables are known
 * by the stack's `<Pascal>TableName` outputs (else their logical id's prefix), secrets by its
 * `<Pascal>SecretArn` outputs. Anything else is an error naming the function and what referred to it.
 *
 * flow: template.json + assets.json + local resources --> FunctionDefinition[]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type PolicyStatement, STACK_NAME } from '../infra/function-config.js';
import { config, type ConfigKey } from '../shared/platform/config.js';
import { type TableKey, tableSpecs } from '../shared/platform/tables.js';
import { type FunctionDefinition, type LocalResources, localArns, type StreamMapping, withLocalDifferences } from './definitions.js';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value?: unknown }>;
}

interface AssetManifest {
  files?: Record<string, { source?: { path?: string } }>;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const TABLE_TYPES = new Set(['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable']);
const pascal = (kebab: string): string => kebab.replace(/(^|[-_])(\w)/g, (_, __, c: string) => c.toUpperCase());
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const refOf = (value: unknown): string | undefined => (isObject(value) && typeof value.Ref === 'string' ? value.Ref : undefined);
const asList = <T>(value: T | readonly T[] | undefined): readonly T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value as T]);

function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new TemplateError(`${file} does not exist: run \`npm run synth\` first (${what}).`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Which logical ids are the tables and secrets of the stack, from its outputs (else logical-id prefixes). */
function namedResources(template: CfnTemplate): { tables: Map<string, TableKey>; secrets: Map<string, ConfigKey> } {
  const tables = new Map<string, TableKey>();
  const secrets = new Map<string, ConfigKey>();
  for (const [output, { Value }] of Object.entries(template.Outputs ?? {})) {
    const ref = refOf(Value);
    if (!ref) continue;
    const table = tableSpecs.find((t) => output === `${pascal(t.key)}TableName`);
    if (table) tables.set(ref, table.key);
    const secret = (Object.keys(config) as ConfigKey[]).find((key) => output === `${pascal(key)}SecretArn`);
    if (secret) secrets.set(ref, secret);
  }
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (TABLE_TYPES.has(resource.Type) && !tables.has(logicalId)) {
      const table = tableSpecs.find((t) => new RegExp(`^${pascal(t.key)}Table[0-9A-F]{8}$`).test(logicalId));
      if (table) tables.set(logicalId, table.key);
    }
    if (resource.Type === 'AWS::SecretsManager::Secret' && !secrets.has(logicalId)) {
      const key = (Object.keys(config) as ConfigKey[]).find((k) => new RegExp(`^${pascal(k)}Secret[0-9A-F]{8}$`).test(logicalId));
      if (key) secrets.set(logicalId, key);
    }
  }
  return { tables, secrets };
}

/** Resolves intrinsics to local values; `where` names what is resolved, for the error. */
type Resolve = (value: unknown, where: string) => unknown;

function resolver(template: CfnTemplate, resources: LocalResources, stackName: string): Resolve {
  const { tables, secrets } = namedResources(template);
  const arns = localArns(resources);
  const { region, account } = resources;
  const stageUrl = `https://${resources.apiId}.execute-api.${region}.amazonaws.com/`;
  const fail = (where: string, value: unknown, why: string): never => {
    throw new TemplateError(`${where}: cannot resolve ${JSON.stringify(value)} to a local value (${why}).`);
  };
  const resourceOf = (logicalId: string, where: string, value: unknown): CfnResource =>
    template.Resources[logicalId] ?? fail(where, value, `no resource ${logicalId} in the template`);
  const tableOf = (logicalId: string, where: string, value: unknown): TableKey =>
    tables.get(logicalId) ?? fail(where, value, `table ${logicalId} is none of shared/platform/tables.ts`);

  const ref = (name: string, where: string, value: unknown): string => {
    switch (name) {
      case 'AWS::Region':
        return region;
      case 'AWS::AccountId':
        return account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
    }
    const resource = resourceOf(name, where, value);
    if (TABLE_TYPES.has(resource.Type)) return resources.tables[tableOf(name, where, value)];
    switch (resource.Type) {
      case 'AWS::Events::EventBus':
        return resources.busName;
      case 'AWS::SecretsManager::Secret':
        return arns.secret(secrets.get(name) ?? fail(where, value, `secret ${name} is none of shared/platform/config.ts`));
      case 'AWS::ApiGatewayV2::Api':
        return resources.apiId;
      case 'AWS::Lambda::Function':
        return String(resolve(resource.Properties?.FunctionName ?? fail(where, value, `function ${name} has no FunctionName`), where));
      case 'AWS::Logs::LogGroup':
        return String(resolve(resource.Properties?.LogGroupName ?? name, where));
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${name}`;
    }
    return fail(where, value, `no local value for a Ref to ${resource.Type}`);
  };

  const getAtt = (logicalId: string, attribute: string, where: string, value: unknown): string => {
    const resource = resourceOf(logicalId, where, value);
    if (TABLE_TYPES.has(resource.Type)) {
      const key = tableOf(logicalId, where, value);
      if (attribute === 'Arn') return arns.table(key);
      if (attribute === 'StreamArn') return arns.stream(key);
    }
    switch (`${resource.Type}.${attribute}`) {
      case 'AWS::Events::EventBus.Arn':
        return arns.bus;
      case 'AWS::Events::EventBus.Name':
        return resources.busName;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${region}:${account}:log-group:${ref(logicalId, where, value)}:*`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${region}:${account}:${String(resolve(resource.Properties?.QueueName ?? logicalId, where))}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${region}:${account}:function:${ref(logicalId, where, value)}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${String(resolve(resource.Properties?.RoleName ?? logicalId, where))}`;
    }
    return fail(where, value, `no local value for ${resource.Type}'s ${attribute}`);
  };

  const sub = (text: string, variables: Record<string, unknown>, where: string, value: unknown): string =>
    text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in variables) return String(resolve(variables[name], where));
      const [logicalId, attribute] = name.split(/\.(.+)/) as [string, string?];
      return attribute ? getAtt(logicalId, attribute, where, value) : ref(logicalId, where, value);
    });

  const resolve: Resolve = (value, where) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    if (Array.isArray(value)) return value.map((v) => resolve(v, where));
    if (!isObject(value)) return fail(where, value, 'not a value');
    const keys = Object.keys(value);
    if (keys.length !== 1) return fail(where, value, 'not an intrinsic function');
    const [fn] = keys as [string];
    const arg = value[fn];
    switch (fn) {
      case 'Ref':
        return ref(String(arg), where, value);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = (typeof arg === 'string' ? arg.split(/\.(.+)/) : (arg as unknown[])) as [string, string];
        return getAtt(logicalId, attribute, where, value);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        const joined = asList(resolve(parts, where) as unknown[]).flat().map(String).join(separator);
        // The HTTP API's stage URL is the local API's.
        return joined === stageUrl ? resources.apiUrl : joined;
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = asList(resolve(list, where) as unknown[]);
        const i = Number(resolve(index, where));
        return i >= 0 && i < items.length ? items[i] : fail(where, value, `index ${i} outside a list of ${items.length}`);
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, unknown];
        return String(resolve(text, where)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = (typeof arg === 'string' ? [arg, {}] : arg) as [string, Record<string, unknown>];
        return sub(text, variables ?? {}, where, value);
      }
    }
    return fail(where, value, `${fn} is not supported locally`);
  };
  return resolve;
}

const resolveString = (resolve: Resolve, value: unknown, where: string): string => {
  const resolved = resolve(value, where);
  if (typeof resolved !== 'string' && typeof resolved !== 'number' && typeof resolved !== 'boolean') {
    throw new TemplateError(`${where}: resolves to ${JSON.stringify(resolved)}, not a single value.`);
  }
  return String(resolved);
};

/** The statements of a policy document, resolved. NotAction/NotResource are refused: the local evaluator does not implement them. */
function statementsOf(document: unknown, resolve: Resolve, where: string): PolicyStatement[] {
  const statements = asList((isObject(document) ? document.Statement : undefined) as unknown);
  return statements.map((raw, i) => {
    const at = `${where}, statement ${i}`;
    if (!isObject(raw)) throw new TemplateError(`${at}: not a statement`);
    for (const unsupported of ['NotAction', 'NotResource', 'NotPrincipal']) {
      if (unsupported in raw) throw new TemplateError(`${at}: ${unsupported} is not evaluated locally; write the grant with Action and Resource.`);
    }
    const effect = raw.Effect === 'Deny' ? 'Deny' : raw.Effect === 'Allow' ? 'Allow' : undefined;
    if (!effect) throw new TemplateError(`${at}: Effect must be Allow or Deny, got ${JSON.stringify(raw.Effect)}`);
    const conditions = isObject(raw.Condition)
      ? Object.fromEntries(
          Object.entries(raw.Condition).map(([operator, block]) => [
            operator,
            Object.fromEntries(
              Object.entries(block as Record<string, unknown>).map(([key, v]) => [
                key,
                Array.isArray(v) ? v.map((item) => resolveString(resolve, item, `${at}, condition ${key}`)) : resolveString(resolve, v, `${at}, condition ${key}`),
              ]),
            ),
          ]),
        )
      : undefined;
    return {
      effect,
      actions: asList(raw.Action as string | string[]).map(String),
      resources: asList(raw.Resource).map((r) => resolveString(resolve, r, `${at}, resource`)),
      ...(conditions && { conditions }),
    };
  });
}

/** Does `value` (a FunctionName property) name the function `logicalId` / `functionName`? */
const namesFunction = (value: unknown, logicalId: string, functionName: string): boolean => refOf(value) === logicalId || value === functionName;

/**
 * Every function of the synthesized stack in `cdkOut`, as the local runtime runs it.
 * `checkBundles: false` skips the check that each bundle exists (a synth with skipped bundling).
 *
 * @example
 * const defs = definitionsFromTemplate('cdk.out', resources);
 * defs[0].code // { kind: 'bundle', file: '/repo/cdk.out/asset.1f2e…/index.js' }
 */
export function definitionsFromTemplate(
  cdkOut: string,
  resources: LocalResources,
  options: { stackName?: string; checkBundles?: boolean } = {},
): FunctionDefinition[] {
  const stackName = options.stackName ?? STACK_NAME;
  const root = path.resolve(cdkOut);
  const template = readJson<CfnTemplate>(path.join(root, `${stackName}.template.json`), 'the template of the stack');
  const assets = readJson<AssetManifest>(path.join(root, `${stackName}.assets.json`), "the stack's asset manifest");
  const resolve = resolver(template, resources, stackName);
  const all = Object.entries(template.Resources);
  const ofType = (type: string) => all.filter(([, r]) => r.Type === type);

  return ofType('AWS::Lambda::Function').map(([logicalId, resource]): FunctionDefinition => {
    const props = resource.Properties ?? {};
    const cdkPath = resource.Metadata?.['aws:cdk:path'];
    const name =
      (typeof props.FunctionName === 'string' && props.FunctionName.startsWith(`${stackName}-`) ? props.FunctionName.slice(stackName.length + 1) : undefined) ??
      (typeof cdkPath === 'string' ? new RegExp(`^${stackName}/([^/]+)/Function/Resource$`).exec(cdkPath)?.[1] : undefined);
    if (!name) throw new TemplateError(`${logicalId}: neither its FunctionName nor its aws:cdk:path names a function of the manifest.`);
    const functionName = `${stackName}-${name}`;
    const at = `Function "${name}"`;

    const code = props.Code as { S3Key?: unknown } | undefined;
    const hash = typeof code?.S3Key === 'string' ? code.S3Key.replace(/\.zip$/, '') : undefined;
    const assetDir = (typeof resource.Metadata?.['aws:asset:path'] === 'string' ? resource.Metadata['aws:asset:path'] : undefined) ?? (hash ? assets.files?.[hash]?.source?.path : undefined);
    if (!assetDir) throw new TemplateError(`${at}: its code is no asset of ${stackName}.assets.json.`);
    const handlerModule = String(props.Handler ?? 'index.handler').replace(/\.[^.]+$/, '');
    const file = path.resolve(root, assetDir, `${handlerModule}.js`);
    if (options.checkBundles !== false && !existsSync(file)) {
      throw new TemplateError(`${at}: its bundle ${file} does not exist: run \`npm run synth\` (with bundling) first.`);
    }

    const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
    const environment = Object.fromEntries(Object.entries(variables).map(([variable, value]) => [variable, resolveString(resolve, value, `${at}, environment variable ${variable}`)]));

    const role = isObject(props.Role) && Array.isArray(props.Role['Fn::GetAtt']) ? String(props.Role['Fn::GetAtt'][0]) : undefined;
    if (!role) throw new TemplateError(`${at}: its Role is not a role of the template.`);
    const roleResource = template.Resources[role];
    if (asList(roleResource?.Properties?.ManagedPolicyArns).length > 0) {
      throw new TemplateError(`${at}: its role has managed policies, which are not evaluated locally; grant with inline statements.`);
    }
    const statements = [
      ...asList(roleResource?.Properties?.Policies as unknown[]).flatMap((p, i) => statementsOf((p as { PolicyDocument?: unknown }).PolicyDocument, resolve, `${at}, role policy ${i}`)),
      ...ofType('AWS::IAM::Policy')
        .filter(([, p]) => asList(p.Properties?.Roles as unknown[]).some((r) => refOf(r) === role))
        .flatMap(([policyId, p]) => statementsOf(p.Properties?.PolicyDocument, resolve, `${at}, policy ${policyId}`)),
    ];
    const policy = Object.freeze(statements);

    const invokeConfig = ofType('AWS::Lambda::EventInvokeConfig').find(([, c]) => namesFunction(c.Properties?.FunctionName, logicalId, functionName))?.[1].Properties;
    const streams = ofType('AWS::Lambda::EventSourceMapping')
      .filter(([, m]) => namesFunction(m.Properties?.FunctionName, logicalId, functionName))
      .map(([mappingId, m]): StreamMapping => {
        const p = m.Properties ?? {};
        const source = isObject(p.EventSourceArn) ? p.EventSourceArn['Fn::GetAtt'] : undefined;
        const table = Array.isArray(source) && source[1] === 'StreamArn' ? namedResources(template).tables.get(String(source[0])) : undefined;
        if (!table) throw new TemplateError(`${at}: event source mapping ${mappingId} reads no stream of a table of shared/platform/tables.ts.`);
        return {
          table,
          // Lambda's defaults for a DynamoDB stream where the template sets nothing.
          batchSize: Number(p.BatchSize ?? 100),
          bisectBatchOnError: p.BisectBatchOnFunctionError === true,
          maximumRetryAttempts: Number(p.MaximumRetryAttempts ?? -1),
          maximumRecordAgeSeconds: Number(p.MaximumRecordAgeInSeconds ?? -1),
          reportBatchItemFailures: asList(p.FunctionResponseTypes as string[]).includes('ReportBatchItemFailures'),
        };
      });

    return {
      name,
      functionName,
      code: { kind: 'bundle', file },
      // Lambda's defaults where the template sets nothing.
      memoryMb: Number(props.MemorySize ?? 128),
      timeoutSeconds: Number(props.Timeout ?? 3),
      ...(props.ReservedConcurrentExecutions !== undefined && { reservedConcurrency: Number(props.ReservedConcurrentExecutions) }),
      environment: Object.freeze(withLocalDifferences(environment)),
      policy: () => policy,
      ...(invokeConfig && {
        asyncInvoke: {
          maximumRetryAttempts: Number(invokeConfig.MaximumRetryAttempts ?? 2),
          maximumEventAgeSeconds: Number(invokeConfig.MaximumEventAgeInSeconds ?? 21_600),
        },
      }),
      streams,
    };
  });
}
