/**
 * The local runtime's IAM: every AWS call a function makes is checked against the function's own
 * policy before it reaches the local service, as AWS checks it against the execution role.
 *
 * Each function signs with credentials of its own (an access key id that names it; the secret never
 * leaves the runtime and its environment). Its DynamoDB endpoint is this gate, which reads the
 * action (`X-Amz-Target`) and the resources (tables, indexes; every item of a transaction) from the
 * request, asks the policy, and forwards an allowed call to DynamoDB Local unchanged. A call the
 * policy does not allow is answered as DynamoDB answers it — 400 `AccessDeniedException`, naming
 * the role, the action and the resource — and logged with the missing action. The local bus and
 * the local Secrets Manager ask `authorize` the same way (PutEvents with `events:source` and
 * `events:detail-type` per entry; GetSecretValue on the secret's ARN).
 *
 * The gate identifies the caller by its access key id and does not verify the DynamoDB signature:
 * DynamoDB Local's own port is open to the same machine anyway; it is a check of the grants, not a
 * security boundary. The bus does verify signatures (local/sigv4.ts).
 *
 * flow: function --SigV4 (its key)--> gate: key -> function -> action/resources -> policy --> DynamoDB Local
 */
import { randomBytes } from 'node:crypto';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PolicyStatement } from './definitions.js';
import { authorizePutEvents, evaluate } from './iam.js';
import type { IamDecision } from './iam.js';

export interface Principal {
  /** The manifest name, e.g. `subscription-renewed`. */
  name: string;
  functionName: string;
  /** The function's policy, as the template (or the code that builds it) grants it. */
  policy(): readonly PolicyStatement[];
}

/** One call a function made, as the gate saw it. */
export interface ObservedCall {
  function: string;
  /** `GetItem`, `TransactWriteItems`… */
  operation: string;
  request: Record<string, unknown>;
  /** The parsed answer when the call was allowed and answered JSON; undefined if denied. */
  response?: Record<string, unknown>;
  status: number;
}

export interface Denial {
  action: string;
  resource: string;
  message: string;
}

type Log = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
};

/** The largest DynamoDB request body (TransactWriteItems of 100 items of 400 KB is below it). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Operations that answer their consumed capacity when asked (ReturnConsumedCapacity). */
const CAPACITY_OPERATIONS: ReadonlySet<string> = new Set([
  'GetItem', 'BatchGetItem', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems', 'TransactGetItems',
]);

const credentialOf = (authorization: string | undefined): string | undefined => /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];

export class IamGate {
  private readonly principals = new Map<string, { principal: Principal; secret: string }>();
  private server?: Server;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly observers = new Set<(call: ObservedCall) => void>();
  /** Denials so far, newest last (bounded): what a test or an operator looks at first. */
  readonly denials: Array<Denial & { function: string }> = [];
  endpoint = '';

  constructor(
    private readonly options: {
      dynamoEndpoint: string;
      region: string;
      account: string;
      log: Log;
      /** The local Secrets Manager: a secret's value by its ARN (undefined: no such secret). */
      secretValue?: (arn: string) => string | undefined;
    },
  ) {}

  /** Credentials for `principal`: its calls are checked against its policy. */
  register(principal: Principal): { accessKeyId: string; secretAccessKey: string } {
    // Letters and digits only: DynamoDB Local refuses other access key ids.
    const accessKeyId = `LOCALFN${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(24).toString('base64url');
    this.principals.set(accessKeyId, { principal, secret: secretAccessKey });
    return { accessKeyId, secretAccessKey };
  }

  /** The access keys and secrets of the functions, for the bus's signature check. */
  keys(): Map<string, string> {
    return new Map([...this.principals].map(([id, { secret }]) => [id, secret]));
  }

  /** The function an access key belongs to, if any. */
  principalOf(accessKeyId: string | undefined): Principal | undefined {
    return accessKeyId ? this.principals.get(accessKeyId)?.principal : undefined;
  }

  principalOfRequest(authorization: string | undefined): Principal | undefined {
    return this.principalOf(credentialOf(authorization));
  }

  /**
   * Runs `hook` before each allowed DynamoDB call is forwarded, the call waiting for it: where a
   * test makes another request commit between a function's read and its write (a lost race, every
   * time), as a fault injector on the network would. Returns the removal.
   */
  intercept(hook: (call: { function: string; operation: string; request: Record<string, unknown> }) => Promise<void> | void): () => void {
    this.interceptors.add(hook);
    return () => this.interceptors.delete(hook);
  }

  private readonly interceptors = new Set<(call: { function: string; operation: string; request: Record<string, unknown> }) => Promise<void> | void>();

  /** Sees every DynamoDB call the functions make (the bench counts them); returns the detach. */
  observe(observer: (call: ObservedCall) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  roleArn(principal: Principal): string {
    return `arn:aws:sts::${this.options.account}:assumed-role/${principal.functionName}-role/${principal.functionName}`;
  }

  /**
   * A function's PutEvents, entry by entry as EventBridge authorizes it (`events:source`,
   * `events:detail-type`, the entry's bus): undefined when every entry is allowed, else the first
   * denial, logged. `busArnOf` turns an entry's EventBusName (a name, an ARN or none) into an ARN.
   */
  authorizePutEvents(principal: Principal, entries: ReadonlyArray<{ Source?: string; DetailType?: string; EventBusName?: string }>, busArnOf: (name: string | undefined) => string): Denial | undefined {
    for (const entry of entries) {
      const resource = busArnOf(entry.EventBusName);
      const decision = authorizePutEvents(principal.policy(), resource, [entry]);
      if (!decision.allowed) return this.deny(principal, 'events:PutEvents', resource, decision, { 'events:source': entry.Source ?? '', 'events:detail-type': entry.DetailType ?? '' });
    }
    return undefined;
  }

  /**
   * Undefined when `principal`'s policy allows `action` on every resource; else the first denial,
   * logged with the missing action.
   */
  authorize(principal: Principal, action: string, resources: readonly string[], context: Record<string, string | readonly string[]> = {}): Denial | undefined {
    for (const resource of resources) {
      const decision = this.decide(principal, action, resource, context);
      if (!decision.allowed) return this.deny(principal, action, resource, decision, context);
    }
    return undefined;
  }

  /** Records and logs a denial, and answers it as AWS words it. */
  private deny(principal: Principal, action: string, resource: string, decision: IamDecision, context: Record<string, string | readonly string[]>): Denial {
    const message = `User: ${this.roleArn(principal)} is not authorized to perform: ${action} on resource: ${resource} because ${decision.reason}`;
    const denial = { action, resource, message };
    this.denials.push({ ...denial, function: principal.name });
    if (this.denials.length > 100) this.denials.shift();
    this.options.log('error', 'IAM denied a call: the function lacks a grant', {
      function: principal.name,
      missingAction: action,
      resource,
      ...(Object.keys(context).length && { conditionContext: context }),
      reason: decision.reason,
    });
    return denial;
  }

  /**
   * A function's policy does not change while it runs: each distinct request (action, resource,
   * condition keys) is evaluated once per function and its decision kept (bounded).
   */
  private decide(principal: Principal, action: string, resource: string, context: Record<string, string | readonly string[]>) {
    let cache = this.decisions.get(principal);
    if (!cache) this.decisions.set(principal, (cache = new Map()));
    const key = `${action}\u0000${resource}\u0000${Object.keys(context).length ? JSON.stringify(context) : ''}`;
    let decision = cache.get(key);
    if (!decision) {
      decision = evaluate(principal.policy(), { action, resource, context });
      if (cache.size >= 1_000) cache.clear();
      cache.set(key, decision);
    }
    return decision;
  }

  private readonly decisions = new WeakMap<Principal, Map<string, ReturnType<typeof evaluate>>>();

  tableArn(table: string): string {
    return table.startsWith('arn:') ? table : `arn:aws:dynamodb:${this.options.region}:${this.options.account}:table/${table}`;
  }

  /** The IAM actions and resources one DynamoDB request needs, by its operation and body. */
  requirements(operation: string, body: Record<string, unknown>): Array<{ action: string; resource: string }> {
    const needs: Array<{ action: string; resource: string }> = [];
    const table = (name: unknown, index?: unknown) => `${this.tableArn(String(name))}${index ? `/index/${String(index)}` : ''}`;
    switch (operation) {
      case 'BatchGetItem':
      case 'BatchWriteItem':
        for (const name of Object.keys((body.RequestItems as Record<string, unknown>) ?? {})) needs.push({ action: `dynamodb:${operation}`, resource: table(name) });
        break;
      case 'TransactWriteItems':
        for (const item of (body.TransactItems as Array<Record<string, { TableName?: string }>>) ?? []) {
          for (const [kind, action] of Object.entries(TRANSACT_ITEM_ACTIONS)) {
            if (item[kind]) needs.push({ action: `dynamodb:${action}`, resource: table(item[kind]!.TableName) });
          }
        }
        break;
      case 'TransactGetItems':
        for (const item of (body.TransactItems as Array<{ Get?: { TableName?: string } }>) ?? []) needs.push({ action: 'dynamodb:GetItem', resource: table(item.Get?.TableName) });
        break;
      case 'ListTables':
        needs.push({ action: 'dynamodb:ListTables', resource: '*' });
        break;
      default:
        needs.push({ action: `dynamodb:${operation}`, resource: table(body.TableName, body.IndexName) });
    }
    return needs;
  }

  async start(host = '127.0.0.1'): Promise<string> {
    const upstream = new URL(this.options.dynamoEndpoint);
    this.server = createServer((req, res) => {
      this.handle(req, res, upstream).catch((error: unknown) => {
        this.options.log('error', 'IAM gate failed', { error: error as Error });
        if (!res.headersSent) answer(res, 500, 'InternalServerError', 'The local IAM gate failed; see its log.');
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    this.endpoint = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, upstream: URL): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return answer(res, 413, 'RequestEntityTooLarge', 'Request body too large.');
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    const principal = this.principalOfRequest(req.headers.authorization);
    if (!principal) return answer(res, 400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    const [service, operation = ''] = String(req.headers['x-amz-target'] ?? '').split('.');
    let body: Record<string, unknown>;
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return answer(res, 400, 'SerializationException', 'The request body is not JSON.');
    }
    if (service === 'secretsmanager') return this.secret(principal, operation, body, res);
    for (const { action, resource } of this.requirements(operation, body)) {
      const denial = this.authorize(principal, action, [resource]);
      if (denial) {
        this.notify({ function: principal.name, operation, request: body, status: 400 });
        return answer(res, 400, 'AccessDeniedException', denial.message);
      }
    }
    for (const hook of this.interceptors) await hook({ function: principal.name, operation, request: body });
    // An observer (the bench) counts consumed capacity: every call it sees asks for it, unless the
    // function asked for something itself. DynamoDB Local does not check signatures.
    let sent = raw;
    let headers = req.headers;
    if (this.observers.size > 0 && CAPACITY_OPERATIONS.has(operation) && body.ReturnConsumedCapacity === undefined) {
      sent = Buffer.from(JSON.stringify({ ...body, ReturnConsumedCapacity: 'TOTAL' }), 'utf8');
      headers = { ...req.headers, 'content-length': String(sent.length) };
    }
    await new Promise<void>((resolve, reject) => {
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent: this.agent },
        (answerStream) => {
          res.writeHead(answerStream.statusCode ?? 500, answerStream.headers);
          if (this.observers.size === 0) {
            answerStream.pipe(res);
            answerStream.on('end', resolve);
            answerStream.on('error', reject);
            return;
          }
          const parts: Buffer[] = [];
          answerStream.on('data', (part: Buffer) => parts.push(part));
          answerStream.on('error', reject);
          answerStream.on('end', () => {
            const text = Buffer.concat(parts);
            res.end(text);
            let response: Record<string, unknown> | undefined;
            try {
              response = JSON.parse(text.toString('utf8')) as Record<string, unknown>;
            } catch {
              response = undefined;
            }
            this.notify({ function: principal.name, operation, request: body, response, status: answerStream.statusCode ?? 500 });
            resolve();
          });
        },
      );
      // DynamoDB unreachable: the function sees the connection fail, as it would without the gate.
      forward.on('error', () => {
        res.destroy();
        resolve();
      });
      forward.end(sent);
    });
  }

  /**
   * The local Secrets Manager's GetSecretValue: the value the developer's environment gives the
   * secret (an unset one is empty, which the functions read as "not configured").
   */
  private secret(principal: Principal, operation: string, body: Record<string, unknown>, res: ServerResponse): void {
    if (operation !== 'GetSecretValue') return answer(res, 400, 'UnknownOperationException', `The local Secrets Manager answers GetSecretValue only, not ${operation}.`);
    const arn = String(body.SecretId ?? '');
    const denial = this.authorize(principal, 'secretsmanager:GetSecretValue', [arn]);
    if (denial) return answer(res, 400, 'AccessDeniedException', denial.message);
    const value = this.options.secretValue?.(arn);
    if (value === undefined) return answer(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify({ ARN: arn, Name: arn.split(':').pop(), SecretString: value, VersionId: 'local', VersionStages: ['AWSCURRENT'], CreatedDate: 0 }));
  }

  private notify(call: ObservedCall): void {
    for (const observer of this.observers) observer(call);
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}

/** An AWS JSON error, as the services answer them (the SDK reads the type from `__type`). */
export function answer(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type, 'x-amzn-requestid': randomBytes(16).toString('hex') });
  res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
}
