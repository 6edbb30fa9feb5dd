import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { matchesPattern, validatePattern } from '../../../local/event-pattern.js';

type Obj = Record<string, unknown>;

// The sample event of the EventBridge / event-ruler documentation.
const ec2: Obj = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const detail = (d: Obj): Obj => ({ ...ec2, detail: d });

type Case = readonly [name: string, pattern: Obj, event: Obj, expected: boolean];

const cases: Record<string, readonly Case[]> = {
  'exact values, AND across fields, OR within an array': [
    ['documented simple pattern', {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
      detail: { state: ['initializing', 'running'] },
    }, ec2, true],
    ['array is OR: second value matches', { detail: { state: ['initializing', 'running'] } }, ec2, true],
    ['array is OR: no value matches', { detail: { state: ['stopped', 'pending'] } }, ec2, false],
    ['fields AND: one field fails', { source: ['aws.ec2'], detail: { state: ['stopped'] } }, ec2, false],
    ['fields AND: all fields hold', { source: ['aws.ec2', 'aws.fargate'], region: ['us-east-1'] }, ec2, true],
    ['matching is case-sensitive', { source: ['AWS.EC2'] }, ec2, false],
    ['number matches number', { detail: { 'c-count': [5] } }, ec2, true],
    ['number does not match the string "5"', { detail: { 'c-count': ['5'] } }, ec2, false],
    ['string "5" does not match the number 5', { n: [5] }, { n: '5' }, false],
    ['true matches only the literal true', { a: [true] }, { a: 'true' }, false],
    ['null matches null', { detail: { responseElements: [null] } }, detail({ eventVersion: '', responseElements: null }), true],
    ['empty string matches empty string', { detail: { eventVersion: [''] } }, detail({ eventVersion: '', responseElements: null }), true],
    ['empty string does not match null', { detail: { responseElements: [''] } }, detail({ responseElements: null }), false],
    ['null does not match empty string', { detail: { eventVersion: [null] } }, detail({ eventVersion: '' }), false],
    ['a missing field never matches a value', { detail: { absent: ['x'] } }, ec2, false],
    ['a nested pattern does not match a leaf', { detail: { state: { code: [16] } } }, ec2, false],
  ],
  'nested detail (documented Macie example)': [
    ['risk-score and trigger.risk', {
      source: ['aws.macie'],
      detail: { 'risk-score': [80], trigger: { risk: [8] } },
    }, { source: 'aws.macie', detail: { 'risk-score': 80, trigger: { 'alert-type': 'basic', risk: 8 } } }, true],
    ['nested field differs', { detail: { trigger: { risk: [9] } } }, { detail: { trigger: { risk: 8 } } }, false],
  ],
  'event arrays': [
    ['intersection with the event array (documented resources example)', {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      ],
    }, {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    }, true],
    ['empty intersection', { tags: ['superadmin'] }, { tags: ['user', 'admin'] }, false],
    ['objects in an array are matched one element at a time', { employees: { firstName: ['Anna'] } }, {
      employees: [[{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }], [{ firstName: 'Peter', lastName: 'Jones' }]],
    }, true],
    ['two fields must hold in the same element', { employees: { firstName: ['Anna'], lastName: ['Jones'] } }, {
      employees: [{ firstName: 'Anna', lastName: 'Smith' }, { firstName: 'Peter', lastName: 'Jones' }],
    }, false],
    ['exists:false within the matching element', { employees: { firstName: ['Anna'], ids: [{ exists: false }] } }, {
      employees: [{ firstName: 'John', ids: [1234, 1000] }, { firstName: 'Anna' }],
    }, true],
    ['numeric on any element', { scores: [{ numeric: ['>', 10] }] }, { scores: [1, 20] }, true],
  ],
  prefix: [
    ['documented time prefix', { time: [{ prefix: '2017-10-02' }] }, ec2, true],
    ['other prefix', { time: [{ prefix: '2017-10-03' }] }, ec2, false],
    ['prefix is case-sensitive', { detail: { state: [{ prefix: 'RUN' }] } }, ec2, false],
    ['prefix with equals-ignore-case', { detail: { state: [{ prefix: { 'equals-ignore-case': 'RuNn' } }] } }, ec2, true],
    ['prefix only applies to strings', { detail: { 'c-count': [{ prefix: '5' }] } }, ec2, false],
  ],
  suffix: [
    ['documented .png suffix', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }, true],
    ['other suffix', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.PNG' }, false],
    ['suffix with equals-ignore-case', { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'image.PNG' }, true],
  ],
  'equals-ignore-case': [
    ['any casing', { Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'ALICE' }, true],
    ['not a prefix match', { Name: [{ 'equals-ignore-case': 'alic' }] }, { Name: 'Alice' }, false],
  ],
  'anything-but': [
    ['single string, different value', { detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2, true],
    ['single string, same value', { detail: { state: [{ 'anything-but': 'running' }] } }, ec2, false],
    ['single number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2, true],
    ['list of strings, value not listed', { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, ec2, true],
    ['list of strings, value listed', { detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } }, ec2, false],
    ['list of numbers, value not listed', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, ec2, true],
    ['list of numbers, value listed', { detail: { 'c-count': [{ 'anything-but': [1, 5] }] } }, ec2, false],
    ['a string is not any of the numbers', { b: [{ 'anything-but': [111, 222, 333] }] }, { b: '444' }, true],
    ['prefix, value lacks it', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, ec2, true],
    ['prefix, value has it', { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } }, ec2, false],
    ['prefix list', { Region: [{ 'anything-but': { prefix: ['eu-', 'us-'] } }] }, { Region: 'us-east-1' }, false],
    ['suffix', { FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.jpg' }, true],
    ['equals-ignore-case', { state: [{ 'anything-but': { 'equals-ignore-case': 'Initializing' } }] }, { state: 'INITIALIZING' }, false],
    ['wildcard', { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/lib/x.so' }, false],
    ['does not match a missing field', { detail: { absent: [{ 'anything-but': 'x' }] } }, ec2, false],
    ['does not match an object-valued field', { detail: [{ 'anything-but': 'x' }] }, ec2, false],
    ['matches an event array with one other element', { tags: [{ 'anything-but': 'a' }] }, { tags: ['a', 'b'] }, true],
    ['does not match an array of only excluded values', { tags: [{ 'anything-but': 'a' }] }, { tags: ['a', 'a'] }, false],
    ['documented idiom: anything-but or missing', { tier: [{ 'anything-but': ['gold'] }, { exists: false }] }, {}, true],
  ],
  numeric: [
    ['documented c-count, d-count, x-limit', { detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    } }, ec2, true],
    ['upper bound excluded', { detail: { 'c-count': [{ numeric: ['>', 0, '<', 5] }] } }, ec2, false],
    ['lower bound excluded', { detail: { 'c-count': [{ numeric: ['>', 5] }] } }, ec2, false],
    ['lower bound included', { detail: { 'c-count': [{ numeric: ['>=', 5] }] } }, ec2, true],
    ['never the string "5"', { n: [{ numeric: ['=', 5] }] }, { n: '5' }, false],
    ['never a string in range', { n: [{ numeric: ['>', 0] }] }, { n: '7' }, false],
    ['missing field', { n: [{ numeric: ['>', 0] }] }, {}, false],
  ],
  exists: [
    ['exists:true on a present leaf', { detail: { state: [{ exists: true }] } }, ec2, true],
    ['exists:true on a missing field', { detail: { 'c-count': [{ exists: true }] } }, detail({ state: 'x' }), false],
    ['exists:false on a missing field (documented)', { detail: { 'c-count': [{ exists: false }] } }, detail({ state: ['initializing', 'running'] }), true],
    ['exists:false on a present leaf', { detail: { state: [{ exists: false }] } }, ec2, false],
    ['exists:false matches an object-valued field (documented: not a leaf)', { detail: { 'c-count': [{ exists: false }] } }, detail({ 'c-count': { c1: 100 } }), true],
    ['exists:true does not match an object-valued field', { detail: { 'c-count': [{ exists: true }] } }, detail({ 'c-count': { c1: 100 } }), false],
    ['exists:true matches null', { a: [{ exists: true }] }, { a: null }, true],
    ['exists:true matches an array of leaves', { tags: [{ exists: true }] }, { tags: ['a'] }, true],
    ['exists:true does not match an empty array', { tags: [{ exists: true }] }, { tags: [] }, false],
    ['exists:false under a missing parent', { detail: { a: { b: [{ exists: false }] } } }, ec2, true],
  ],
  wildcard: [
    ['documented Simple*Service', { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueService' }, true],
    ['leading star', { a: [{ wildcard: '*bc' }] }, { a: 'abcbc' }, true],
    ['inner star must still match the end', { b: [{ wildcard: 'd*f' }] }, { b: 'deeeefx' }, false],
    ['star matches the empty run', { c: [{ wildcard: 'xy*' }] }, { c: 'xy' }, true],
    ['regex characters are literal', { p: [{ wildcard: 'a.c*' }] }, { p: 'abcd' }, false],
    ['escaped star is literal', { p: [{ wildcard: 'a\\*b' }] }, { p: 'axb' }, false],
    ['escaped star matches a star', { p: [{ wildcard: 'a\\*b' }] }, { p: 'a*b' }, true],
    ['only strings', { n: [{ wildcard: '*' }] }, { n: 5 }, false],
  ],
  $or: [
    ['documented: source && (metricName || namespace), second branch', {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    }, { source: 'aws.cloudwatch', metricName: 'DiskIO', namespace: 'AWS/ES' }, true],
    ['no branch holds', {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
    }, { source: 'aws.cloudwatch', metricName: 'DiskIO', namespace: 'AWS/ES' }, false],
    ['the AND outside $or still applies', {
      source: ['aws.ec2'],
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
    }, { source: 'aws.cloudwatch', metricName: 'CPUUtilization' }, false],
    ['documented nested Or and And', {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
        { scope: ['Service'] },
      ],
    }, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 }, true],
    ['$or inside detail', { detail: { $or: [{ state: ['stopped'] }, { 'c-count': [{ numeric: ['<', 10] }] }] } }, ec2, true],
  ],
};

describe('matchesPattern', () => {
  for (const [group, rows] of Object.entries(cases)) {
    describe(group, () => {
      it.each(rows.map((r) => ({ name: r[0], pattern: r[1], event: r[2], expected: r[3] })))(
        '$name',
        ({ pattern, event, expected }) => {
          expect(validatePattern(pattern)).toEqual([]);
          expect(matchesPattern(pattern, event)).toBe(expected);
        },
      );
    });
  }
});

describe('matchesPattern on large arrays', () => {
  it('tries the next field once per distinct array constraint, not once per leaf (3 arrays of 2,000 values, last field missing)', () => {
    const many = Array.from({ length: 2000 }, (_, i) => i);
    const pattern = { a: [{ exists: true }], b: [{ exists: true }], c: [{ exists: true }], d: ['absent'] };
    // Backtracking over every leaf would take 8·10⁹ steps here; the test would time out.
    expect(matchesPattern(pattern, { a: many, b: many, c: many })).toBe(false);
    expect(matchesPattern(pattern, { a: many, b: many, c: many, d: 'absent' })).toBe(true);
  });
});

describe('validatePattern', () => {
  it.each([
    [{ source: ['aws.ec2'], detail: { n: [{ numeric: ['>', 0, '<=', 5] }] } }],
    [{ a: [{ 'anything-but': { prefix: ['x', 'y'] } }, { exists: false }] }],
    [{ $or: [{ a: ['1'] }, { b: [{ wildcard: '*x\\*' }] }] }],
    [{ ip: [{ cidr: '10.0.0.0/24' }, { cidr: '2001:db8::/32' }, { cidr: '0.0.0.0/0' }] }],
    [{ $or: [{ 'a.b': [1] }, { a: { b: [2] } }] }],
    [{ 'detail.state': ['running'], detail: { 'c-count': [5] } }],
  ])('accepts %j', (pattern) => {
    expect(validatePattern(pattern)).toEqual([]);
  });

  it.each([
    ['not an object', ['x'], /must be a JSON object/],
    ['empty pattern', {}, /at least one field/],
    ['a bare string', { source: 'aws.ec2' }, /source: must be an array/],
    ['empty array', { source: [] }, /empty arrays/],
    ['cidr without a prefix length', { ip: [{ cidr: '10.0.0.0' }] }, /ip\[0\]\.cidr: "10\.0\.0\.0": must be an address, one "\/"/],
    ['cidr with a host name', { ip: [{ cidr: 'example.com/24' }] }, /"example\.com" is not an IPv4 or IPv6 address/],
    ['cidr with a bad prefix length', { ip: [{ cidr: '10.0.0.0/x' }] }, /prefix length "x" must be a whole number/],
    ['cidr /33', { ip: [{ cidr: '192.168.0.1/33' }] }, /IPv4 prefix length must be less than 32/],
    ['cidr /32 (event-ruler rejects it)', { ip: [{ cidr: '10.0.0.1/32' }] }, /list it as a value, e\.g\. \["10\.0\.0\.1"\]/],
    ['cidr /128', { ip: [{ cidr: '2001:db8::1/128' }] }, /IPv6 prefix length must be less than 128/],
    ['cidr not a string', { ip: [{ cidr: 24 }] }, /must be a string in CIDR notation/],
    ['a field named twice through both spellings', { 'detail.state': ['a'], detail: { state: ['b'] } }, /detail\.state: named more than once/],
    ['named twice within one $or alternative', { 'a.b': [1], $or: [{ a: { b: [2] } }, { c: [3] }] }, /a\.b: named more than once/],
    ['unknown operator', { a: [{ contains: 'x' }] }, /contains: is not a known/],
    ['two keys in one operator', { a: [{ prefix: 'x', suffix: 'y' }] }, /exactly one key/],
    ['numeric upside-down range', { n: [{ numeric: ['>', 5, '<', 1] }] }, /lower bound/],
    ['numeric range opened by <', { n: [{ numeric: ['<', 5, '>', 1] }] }, /start with > or >=/],
    ['numeric string bound', { n: [{ numeric: ['>', '5'] }] }, /must be a number/],
    ['exists non-boolean', { a: [{ exists: 'yes' }] }, /true or false/],
    ['mixed anything-but list', { a: [{ 'anything-but': ['x', 1] }] }, /only strings or only numbers/],
    ['anything-but numeric', { a: [{ 'anything-but': { numeric: ['>', 1] } }] }, /one key: prefix/],
    ['consecutive wildcards', { a: [{ wildcard: 'a**b' }] }, /consecutive/],
    ['bad escape in wildcard', { a: [{ wildcard: 'a\\b' }] }, /invalid escape/],
    ['$or with one branch', { $or: [{ a: ['x'] }] }, /at least two/],
    ['problem inside $or', { $or: [{ a: ['x'] }, { b: [{ nope: 1 }] }] }, /\$or\[1\]\.b\[0\]\.nope/],
  ] as const)('rejects %s', (_name, pattern, problem) => {
    const problems = validatePattern(pattern);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(problem);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: a pattern built from an event's own leaf matches that event.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type Leaf = string | number | boolean | null;

/** Every (path, leaf) of an event: arrays are crossed, as EventBridge flattens them. */
function leaves(value: Json, path: string[] = [], inArray = false): Array<{ path: string[]; leaf: Leaf; inArray: boolean }> {
  if (Array.isArray(value)) return value.flatMap((v) => leaves(v, path, true));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k], inArray));
  }
  return path.length > 0 ? [{ path, leaf: value, inArray }] : [];
}

const nest = (path: string[], matcher: unknown[]): Obj =>
  path.reduceRight<unknown>((inner, key) => Object.fromEntries([[key, inner]]), matcher) as Obj;

const eventArb = fc
  .dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== '$or'), fc.jsonValue({ maxDepth: 4 }), { minKeys: 1 })
  .map((o) => JSON.parse(JSON.stringify(o)) as { [k: string]: Json });

const eventWithLeaf = eventArb
  .filter((e) => leaves(e).length > 0)
  .chain((e) => fc.constantFrom(...leaves(e)).map((l) => ({ event: e, ...l })));

describe('matchesPattern properties', () => {
  it('{field: [value]} built from an event leaf matches the event', () => {
    fc.assert(
      fc.property(eventWithLeaf, ({ event, path, leaf }) => {
        const pattern = nest(path, [leaf]);
        expect(validatePattern(pattern)).toEqual([]);
        expect(matchesPattern(pattern, event)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('{exists: true} matches every leaf path; {exists: false} none reached without arrays', () => {
    fc.assert(
      fc.property(eventWithLeaf, ({ event, path, inArray }) => {
        expect(matchesPattern(nest(path, [{ exists: true }]), event)).toBe(true);
        // Through an array another element may lack the field, so only array-free paths are certain.
        if (!inArray) expect(matchesPattern(nest(path, [{ exists: false }]), event)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('{field: [{anything-but: value}]} rejects a scalar field holding exactly that value', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '$or'),
        fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true })),
        (key, value) => {
          const event = JSON.parse(JSON.stringify({ [key]: value })) as Obj;
          const stored = event[key] as string | number;
          expect(matchesPattern({ [key]: [{ 'anything-but': stored }] }, event)).toBe(false);
          expect(matchesPattern({ [key]: [stored] }, event)).toBe(true);
        },
      ),
    );
  });
});
