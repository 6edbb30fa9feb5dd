import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { PolicyStatement } from '../../../infra/function-config.js';
import { authorizePutEvents, evaluate } from '../../../local/iam.js';

const TABLE = 'arn:aws:dynamodb:eu-west-1:000000000000:table/provisioning-errors';
const OTHER_TABLE = 'arn:aws:dynamodb:eu-west-1:000000000000:table/provisioning-state';
const BUS = 'arn:aws:events:eu-west-1:000000000000:event-bus/provisioning';

// The shapes the stack grants (infra/function-config.ts): a table with its indexes, PutEvents by source and detail-type.
const tableGrant: PolicyStatement = { effect: 'Allow', actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [TABLE, `${TABLE}/index/*`] };
const putEvents = (source: string, detailType: string | string[]): PolicyStatement => ({
  effect: 'Allow',
  actions: ['events:PutEvents'],
  resources: [BUS],
  conditions: { StringEquals: { 'events:source': source, 'events:detail-type': detailType } },
});

describe('Function: evaluate', () => {
  describe('actions and resources', () => {
    it.each([
      ['the granted action on the table', 'dynamodb:GetItem', TABLE, true],
      ['Query on one of the table’s indexes', 'dynamodb:Query', `${TABLE}/index/byStatus`, true],
      ['an action the grant lacks', 'dynamodb:PutItem', TABLE, false],
      ['the granted action on another table', 'dynamodb:GetItem', OTHER_TABLE, false],
      ['another table’s index', 'dynamodb:Query', `${OTHER_TABLE}/index/byStatus`, false],
      ['a table whose name extends the granted one', 'dynamodb:GetItem', `${TABLE}-copy`, false],
      ['the table’s stream (not its index)', 'dynamodb:GetRecords', `${TABLE}/stream/2026-01-01T00:00:00.000`, false],
      ['an action in other letter case (actions are case-insensitive)', 'DynamoDB:getitem', TABLE, true],
    ])('%s → allowed %s', (_, action, resource, allowed) => {
      expect(evaluate([tableGrant], { action, resource }).allowed).toBe(allowed);
    });

    it('matches ARNs case-sensitively', () => {
      expect(evaluate([tableGrant], { action: 'dynamodb:GetItem', resource: TABLE.replace('provisioning-errors', 'Provisioning-Errors') }).allowed).toBe(false);
    });

    it('takes * and ? wildcards in actions and resources', () => {
      const policy: PolicyStatement[] = [{ effect: 'Allow', actions: ['dynamodb:Get*', 'dynamodb:Batch?etItem'], resources: ['arn:aws:dynamodb:*:000000000000:table/provisioning-?rrors'] }];
      expect(evaluate(policy, { action: 'dynamodb:GetItem', resource: TABLE }).allowed).toBe(true);
      expect(evaluate(policy, { action: 'dynamodb:BatchGetItem', resource: TABLE }).allowed).toBe(true);
      expect(evaluate(policy, { action: 'dynamodb:PutItem', resource: TABLE }).allowed).toBe(false);
      expect(evaluate(policy, { action: 'dynamodb:GetItem', resource: TABLE.replace('eu-west-1', 'us-east-1') }).allowed).toBe(true);
      expect(evaluate(policy, { action: 'dynamodb:GetItem', resource: TABLE.replace('000000000000', '111111111111') }).allowed).toBe(false);
    });

    it('does not let a wildcard of one ARN part spill into another', () => {
      const policy: PolicyStatement[] = [{ effect: 'Allow', actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:eu-*:000000000000:table/t'] }];
      expect(evaluate(policy, { action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:eu-west-1:000000000000:table/t' }).allowed).toBe(true);
      expect(evaluate(policy, { action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:eu-west-1:1:000000000000:table/t' }).allowed).toBe(false);
    });

    it('allows nothing with an empty policy, and says so', () => {
      const decision = evaluate([], { action: 'dynamodb:GetItem', resource: TABLE });
      expect(decision).toEqual({ allowed: false, reason: expect.stringContaining('no statement grants') });
    });

    it('lets an explicit Deny win over an Allow, whatever their order', () => {
      const deny: PolicyStatement = { effect: 'Deny', actions: ['dynamodb:*'], resources: [`${TABLE}/index/*`] };
      for (const policy of [[tableGrant, deny], [deny, tableGrant]]) {
        const decision = evaluate(policy, { action: 'dynamodb:Query', resource: `${TABLE}/index/byStatus` });
        expect(decision.allowed).toBe(false);
        expect(decision.reason).toContain('explicitly denied');
        expect(evaluate(policy, { action: 'dynamodb:Query', resource: TABLE }).allowed).toBe(true);
      }
    });
  });

  describe('PutEvents conditions', () => {
    const policy = [putEvents('provisioning-service', ['Namespace Subscription Changed', 'Provisioning Failed']), putEvents('lambda', 'Lambda Function Invocation Result - Failure')];
    const put = (context: Record<string, string | string[]>) => evaluate(policy, { action: 'events:PutEvents', resource: BUS, context });

    it.each([
      ['a granted source and detail-type', { 'events:source': 'provisioning-service', 'events:detail-type': 'Provisioning Failed' }, true],
      ['another of the granted detail-types', { 'events:source': 'provisioning-service', 'events:detail-type': 'Namespace Subscription Changed' }, true],
      ['the failure record of the other statement', { 'events:source': 'lambda', 'events:detail-type': 'Lambda Function Invocation Result - Failure' }, true],
      ['a detail-type granted only with another source', { 'events:source': 'lambda', 'events:detail-type': 'Provisioning Failed' }, false],
      ['a source no statement names', { 'events:source': 'customers-portal', 'events:detail-type': 'Provisioning Failed' }, false],
      ['detail-types in other letter case (StringEquals is case-sensitive)', { 'events:source': 'provisioning-service', 'events:detail-type': 'provisioning failed' }, false],
      ['no detail-type in the request', { 'events:source': 'provisioning-service' }, false],
      ['condition key names in other letter case', { 'Events:Source': 'provisioning-service', 'EVENTS:DETAIL-TYPE': 'Provisioning Failed' }, true],
      ['every value of a multivalued key granted', { 'events:source': 'provisioning-service', 'events:detail-type': ['Provisioning Failed', 'Namespace Subscription Changed'] }, true],
      ['one value of a multivalued key not granted', { 'events:source': 'provisioning-service', 'events:detail-type': ['Provisioning Failed', 'Audit Finding'] }, false],
    ])('%s → allowed %s', (_, context, allowed) => {
      expect(put(context).allowed).toBe(allowed);
    });

    it('names the condition that failed', () => {
      expect(put({ 'events:source': 'provisioning-service', 'events:detail-type': 'Audit Finding' }).reason).toContain('"Audit Finding"');
    });

    it('authorizes each PutEvents entry on its own: one entry outside the grant refuses the call', () => {
      const ok = { Source: 'provisioning-service', DetailType: 'Provisioning Failed' };
      expect(authorizePutEvents(policy, BUS, [ok, { Source: 'lambda', DetailType: 'Lambda Function Invocation Result - Failure' }]).allowed).toBe(true);
      const refused = authorizePutEvents(policy, BUS, [ok, { Source: 'provisioning-service', DetailType: 'Audit Finding' }]);
      expect(refused.allowed).toBe(false);
      expect(refused.reason).toContain('Audit Finding');
      expect(authorizePutEvents(policy, `${BUS}-other`, [ok]).allowed).toBe(false);
    });
  });

  describe('condition operators', () => {
    const withCondition = (operator: string, key: string, value: string | string[]): PolicyStatement[] => [
      { effect: 'Allow', actions: ['s3:GetObject'], resources: ['*'], conditions: { [operator]: { [key]: value } } },
    ];
    const allowed = (operator: string, value: string | string[], context?: Record<string, string | string[]>) =>
      evaluate(withCondition(operator, 'k', value), { action: 's3:GetObject', resource: 'arn:aws:s3:::b/o', ...(context && { context }) }).allowed;

    it.each([
      ['StringEquals', 'a', { k: 'a' }, true],
      ['StringEquals', 'a', { k: 'A' }, false],
      ['StringEquals', 'a', undefined, false],
      ['StringNotEquals', 'a', { k: 'b' }, true],
      ['StringNotEquals', ['a', 'b'], { k: 'b' }, false],
      ['StringNotEquals', 'a', undefined, true],
      ['StringEqualsIgnoreCase', 'a', { k: 'A' }, true],
      ['StringLike', 'team-*', { k: 'team-x' }, true],
      ['StringLike', 'team-?', { k: 'team-xy' }, false],
      ['StringLike', 'team-*', undefined, false],
      ['StringNotLike', 'team-*', { k: 'other' }, true],
      ['StringNotLike', 'team-*', { k: 'team-x' }, false],
      ['StringNotLike', 'team-*', undefined, true],
      ['StringEqualsIfExists', 'a', undefined, true],
      ['StringEqualsIfExists', 'a', { k: 'b' }, false],
      ['ArnLike', 'arn:aws:events:*:000000000000:rule/*', { k: 'arn:aws:events:eu-west-1:000000000000:rule/r' }, true],
      ['ArnLike', 'arn:aws:events:*:000000000000:rule/*', { k: 'arn:aws:events:eu-west-1:111111111111:rule/r' }, false],
      ['ArnEquals', 'arn:aws:events:eu-west-1:000000000000:rule/r', { k: 'arn:aws:events:eu-west-1:000000000000:rule/r' }, true],
      ['ArnNotLike', 'arn:aws:events:*:000000000000:rule/*', { k: 'arn:aws:events:eu-west-1:111111111111:rule/r' }, true],
      ['ForAnyValue:StringEquals', ['a', 'b'], { k: ['x', 'b'] }, true],
      ['ForAnyValue:StringEquals', ['a', 'b'], { k: ['x', 'y'] }, false],
      ['ForAnyValue:StringEquals', ['a'], undefined, false],
      ['ForAllValues:StringEquals', ['a', 'b'], { k: ['a', 'b'] }, true],
      ['ForAllValues:StringEquals', ['a', 'b'], { k: ['a', 'c'] }, false],
      // AWS's documented pitfall: ForAllValues holds when the request has no such key.
      ['ForAllValues:StringEquals', ['a'], undefined, true],
      ['ForAllValues:StringEquals', ['a'], { k: [] }, true],
      ['ForAllValues:StringLike', ['team-*'], { k: ['team-a', 'team-b'] }, true],
      ['ForAnyValue:StringNotEquals', ['a'], { k: ['a', 'b'] }, true],
      ['ForAllValues:StringNotEquals', ['a'], { k: ['a', 'b'] }, false],
    ] as const)('%s %j with %j → %s', (operator, value, context, expected) => {
      expect(allowed(operator, value as string | string[], context as Record<string, string | string[]> | undefined)).toBe(expected);
    });

    it('fails closed on an operator it does not implement, and says which', () => {
      const decision = evaluate(withCondition('NumericLessThan', 'k', '5'), { action: 's3:GetObject', resource: 'arn:aws:s3:::b/o', context: { k: '1' } });
      expect(decision.allowed).toBe(false);
      expect(decision.reason).toContain('NumericLessThan');
      expect(decision.reason).toContain('fails closed');
    });

    it('needs every operator and every key of a statement to hold', () => {
      const policy: PolicyStatement[] = [
        { effect: 'Allow', actions: ['events:PutEvents'], resources: [BUS], conditions: { StringEquals: { 'events:source': 's' }, StringLike: { 'events:detail-type': 'A*' } } },
      ];
      const put = (context: Record<string, string>) => evaluate(policy, { action: 'events:PutEvents', resource: BUS, context }).allowed;
      expect(put({ 'events:source': 's', 'events:detail-type': 'Alpha' })).toBe(true);
      expect(put({ 'events:source': 's', 'events:detail-type': 'Beta' })).toBe(false);
      expect(put({ 'events:source': 't', 'events:detail-type': 'Alpha' })).toBe(false);
    });
  });

  it('gives the same decision whatever the order of the statements', () => {
    const statement = fc.record({
      effect: fc.constantFrom('Allow' as const, 'Deny' as const),
      actions: fc.subarray(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:*', 'events:PutEvents'], { minLength: 1 }),
      resources: fc.subarray([TABLE, `${TABLE}/index/*`, OTHER_TABLE, BUS, '*'], { minLength: 1 }),
    });
    const request = fc.record({
      action: fc.constantFrom('dynamodb:GetItem', 'dynamodb:Query', 'events:PutEvents'),
      resource: fc.constantFrom(TABLE, `${TABLE}/index/byStatus`, OTHER_TABLE, BUS),
    });
    fc.assert(
      fc.property(
        fc.array(statement, { maxLength: 6 }).chain((p) => fc.tuple(fc.constant(p), fc.shuffledSubarray(p, { minLength: p.length, maxLength: p.length }))),
        request,
        ([policy, shuffled], req) => {
        expect(evaluate(shuffled, req).allowed).toBe(evaluate(policy, req).allowed);
        // The model: allowed iff some applying Allow and no applying Deny.
        const applies = (s: PolicyStatement) =>
          s.actions.some((a) => a === req.action || (a === 'dynamodb:*' && req.action.startsWith('dynamodb:'))) &&
          s.resources.some((r) => r === '*' || r === req.resource || (r === `${TABLE}/index/*` && req.resource.startsWith(`${TABLE}/index/`)));
        const expected = policy.some((s) => s.effect === 'Allow' && applies(s)) && !policy.some((s) => s.effect === 'Deny' && applies(s));
        expect(evaluate(policy, req).allowed).toBe(expected);
        },
      ),
    );
  });
});
