/**
 * IAM evaluation of one request against one function's identity policy, so that a handler's AWS SDK
 * call that its synthesized role would refuse is refused locally too.
 *
 * Implemented, after the IAM User Guide ("Policy evaluation logic", "Condition operators",
 * "Conditions with multiple context keys or values", "Single-valued vs. multivalued context keys"):
 * - No statement applies → implicit deny. An applying `Deny` wins over every `Allow`.
 * - `Action`: case-insensitive, with `*` and `?` wildcards (`dynamodb:Get*`, `*`).
 * - `Resource`: case-sensitive, `*` alone matches everything; otherwise the first five colon-separated
 *   parts of the ARN are matched one by one and the resource part (the rest, colons included) as a
 *   whole, each with `*` / `?` wildcards: `arn:…:table/t/index/*` covers the table's indexes only.
 * - `Condition`: operators AND, keys within an operator AND, the policy's values for a key OR (NOR
 *   for a negated operator). Condition key names are case-insensitive. Operators: StringEquals,
 *   StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike, StringNotLike,
 *   ArnEquals, ArnNotEquals, ArnLike, ArnNotLike (ArnEquals matches as ArnLike does, by parts with
 *   wildcards), each with the `IfExists` suffix and the `ForAnyValue:` / `ForAllValues:` prefixes.
 *   A key missing from the request makes a positive operator false and a negated one true
 *   (`IfExists`: true); `ForAllValues:` is true on a missing or empty key, `ForAnyValue:` false.
 * - A multivalued request key under an operator without a set prefix (which AWS says not to write)
 *   must match for every value: the strict reading, so nothing is allowed that one value would not be.
 * - An operator not listed (Numeric*, Date*, Bool, IpAddress, Null…) fails closed: a statement that
 *   applies to the request by action and resource and carries one denies the request, and the reason
 *   names the operator.
 * Not implemented: NotAction/NotResource/NotPrincipal (local/template.ts refuses them), policy
 * variables (`${aws:username}`), resource policies, permission boundaries, SCPs, sessions.
 *
 * EventBridge authorizes each entry of a PutEvents call on its own (`events:source`,
 * `events:detail-type` of that entry): authorizePutEvents evaluates one request per entry.
 */
import type { PolicyStatement } from '../infra/function-config.js';

export interface IamRequest {
  /** `service:Action`, e.g. `dynamodb:Query`. */
  action: string;
  /** The ARN acted on, e.g. a table's, an index's (`…/index/byStatus`), the bus's. */
  resource: string;
  /** Condition keys of the request (`events:source`), a list for a multivalued key. */
  context?: Readonly<Record<string, string | readonly string[]>>;
}

export interface IamDecision {
  allowed: boolean;
  reason: string;
}

type Matcher = (requestValue: string, policyValue: string) => boolean;

/** `*` any run of characters, `?` one; everything else literal. */
function wildcard(pattern: string, flags = ''): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, `s${flags}`);
}

/** ARN parts: arn, partition, service, region, account, and the resource (which may hold colons). */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
}

function arnLike(value: string, pattern: string): boolean {
  if (pattern === '*') return true;
  const v = arnParts(value);
  const p = arnParts(pattern);
  if (!v || !p) return wildcard(pattern).test(value);
  return p.every((part, i) => wildcard(part).test(v[i]!));
}

const actionMatches = (action: string, pattern: string) => wildcard(pattern, 'i').test(action);

const BASE_OPERATORS: Readonly<Record<string, { match: Matcher; negated: boolean }>> = {
  StringEquals: { match: (v, p) => v === p, negated: false },
  StringNotEquals: { match: (v, p) => v === p, negated: true },
  StringEqualsIgnoreCase: { match: (v, p) => v.toLowerCase() === p.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { match: (v, p) => v.toLowerCase() === p.toLowerCase(), negated: true },
  StringLike: { match: (v, p) => wildcard(p).test(v), negated: false },
  StringNotLike: { match: (v, p) => wildcard(p).test(v), negated: true },
  ArnEquals: { match: arnLike, negated: false },
  ArnNotEquals: { match: arnLike, negated: true },
  ArnLike: { match: arnLike, negated: false },
  ArnNotLike: { match: arnLike, negated: true },
};

interface Operator {
  set?: 'ForAnyValue' | 'ForAllValues';
  base: { match: Matcher; negated: boolean };
  ifExists: boolean;
}

function parseOperator(name: string): Operator | undefined {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/.exec(name);
  const base = m && BASE_OPERATORS[m[2]!];
  if (!m || !base) return undefined;
  return { ...(m[1] && { set: m[1] as Operator['set'] }), base, ifExists: m[3] !== undefined };
}

function contextValues(context: IamRequest['context'], key: string): readonly string[] | undefined {
  if (!context) return undefined;
  const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
  if (found === undefined) return undefined;
  const value = context[found]!;
  return typeof value === 'string' ? [value] : value;
}

/** One key of one operator block: does the request satisfy it? */
function keySatisfied(op: Operator, values: readonly string[] | undefined, policyValues: readonly string[]): boolean {
  // The request value satisfies the operator: matches one of the policy's values (OR), or none of them (NOR).
  const satisfies = (v: string) => policyValues.some((p) => op.base.match(v, p)) !== op.base.negated;
  if (op.set === 'ForAllValues') return (values ?? []).every(satisfies);
  if (op.set === 'ForAnyValue') return (values ?? []).some(satisfies);
  if (values === undefined || values.length === 0) return op.ifExists || op.base.negated;
  return values.every(satisfies);
}

type ConditionResult = { ok: true } | { ok: false; unknownOperator?: string; failed?: string };

function conditionsHold(statement: PolicyStatement, context: IamRequest['context']): ConditionResult {
  for (const [name, block] of Object.entries(statement.conditions ?? {})) {
    const op = parseOperator(name);
    if (!op) return { ok: false, unknownOperator: name };
    for (const [key, expected] of Object.entries(block)) {
      const policyValues = typeof expected === 'string' ? [expected] : expected;
      if (!keySatisfied(op, contextValues(context, key), policyValues)) {
        const actual = contextValues(context, key);
        return { ok: false, failed: `${name} ${key} ${JSON.stringify(expected)} (request: ${actual === undefined ? 'no such key' : JSON.stringify(actual.length === 1 ? actual[0] : actual)})` };
      }
    }
  }
  return { ok: true };
}

const describe = (s: PolicyStatement, i: number) => `statement ${i} (${s.effect} ${s.actions.join(', ')} on ${s.resources.join(', ')})`;

/**
 * The decision IAM would make for `request` under `policy` (one identity's statements).
 *
 * @example
 * evaluate([{ effect: 'Allow', actions: ['dynamodb:Query'], resources: [`${table}/index/*`] }], { action: 'dynamodb:Query', resource: `${table}/index/byStatus` })
 * // { allowed: true, reason: 'allowed by statement 0 (…)' }
 */
export function evaluate(policy: readonly PolicyStatement[], request: IamRequest): IamDecision {
  let allowedBy: string | undefined;
  const nearMisses: string[] = [];
  for (const [i, statement] of policy.entries()) {
    if (!statement.actions.some((a) => actionMatches(request.action, a))) continue;
    if (!statement.resources.some((r) => arnLike(request.resource, r))) continue;
    const held = conditionsHold(statement, request.context);
    if (!held.ok && held.unknownOperator) {
      return { allowed: false, reason: `${request.action} on ${request.resource} denied: ${describe(statement, i)} uses the condition operator ${held.unknownOperator}, which is not evaluated locally (fails closed)` };
    }
    if (!held.ok) {
      nearMisses.push(`${describe(statement, i)} requires ${held.failed}`);
      continue;
    }
    if (statement.effect === 'Deny') return { allowed: false, reason: `${request.action} on ${request.resource} explicitly denied by ${describe(statement, i)}` };
    allowedBy ??= describe(statement, i);
  }
  if (allowedBy) return { allowed: true, reason: `${request.action} on ${request.resource} allowed by ${allowedBy}` };
  return {
    allowed: false,
    reason: `${request.action} on ${request.resource} is not allowed by the function's policy${nearMisses.length > 0 ? `: ${nearMisses.join('; ')}` : ' (no statement grants this action on this resource)'}`,
  };
}

/**
 * PutEvents as EventBridge authorizes it: each entry on its own, by its source and detail-type.
 * The first refused entry decides.
 */
export function authorizePutEvents(policy: readonly PolicyStatement[], busArn: string, entries: ReadonlyArray<{ Source?: string; DetailType?: string }>): IamDecision {
  const decisions = entries.map((entry) => {
    const context: Record<string, string> = {};
    if (entry.Source !== undefined) context['events:source'] = entry.Source;
    if (entry.DetailType !== undefined) context['events:detail-type'] = entry.DetailType;
    return evaluate(policy, { action: 'events:PutEvents', resource: busArn, context });
  });
  return decisions.find((d) => !d.allowed) ?? decisions[0] ?? { allowed: true, reason: 'no entries' };
}
