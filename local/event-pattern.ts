/**
 * EventBridge event-pattern matching for the local bus.
 *
 * Semantics follow the EventBridge user guide (event patterns, content filtering, arrays, null
 * values) and, where the guide is silent, aws/event-ruler (AWS's open-source matcher for this rule
 * language; its README, source and tests settle the edge cases). The cases checked against both,
 * with their sources, are in test/fixtures/event-patterns/cases.json.
 * - fields in a pattern AND; the values in a field's array OR;
 * - a field is a dotted path, in the pattern and in the event alike: `{"a": {"b": [1]}}` and
 *   `{"a.b": [1]}` are one pattern, `{"a": {"b": 1}}` and `{"a.b": 1}` one event, and the two
 *   spellings mix (`{"detail.state": …}` matches `"detail": {"state": …}`);
 * - an event value that is an array matches if any element does; leaves matched by one rule must
 *   come from the same element of any array they share (event-ruler's array consistency), so a
 *   nested pattern applied to an array of objects matches within one element;
 * - a field missing from the event matches nothing but `{"exists": false}` (not `anything-but`);
 *   fields are checked in path order, and `exists: false` looks only among the leaves consistent
 *   with the fields before it (event-ruler's automaton order);
 * - operators test leaves only: an object-valued field does not "exist", and `numeric` sees only
 *   JSON numbers (the string "5" is not 5);
 * - `anything-but` matches every present leaf that is not excluded, whatever its type;
 * - `cidr` ("10.0.0.0/24", "2001:db8::/32") matches string leaves that are IP addresses of the
 *   same family in the range; an exact value that is an IP address matches that address however
 *   it is spelled ("2001:db8::1" = "2001:DB8:0:0:0:0:0:1"). Addresses are read as event-ruler
 *   reads them: dotted-quad IPv4 and hex IPv6 without zone or embedded dotted quad, IPv4-mapped
 *   IPv6 counted as IPv4; prefix lengths stop at /31 and /127, as there.
 *
 * `validatePattern` rejects what this matcher does not implement (`$or` as a field name, unknown
 * operators), malformed operators (a `cidr` that is not a range) and a field named twice through
 * both spellings, so that a manifest cannot silently mis-match locally.
 */

import { isIPv4, isIPv6 } from 'node:net';

type Obj = Record<string, unknown>;
type Leaf = string | number | boolean | null;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLeaf = (v: unknown): v is Leaf =>
  v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const own = (o: Obj, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);
const lower = (s: string): string => s.toLowerCase();

/** `$or` is an OR only as an array of two or more objects (event-ruler's rule; otherwise invalid here). */
const isOr = (key: string, v: unknown): v is Obj[] =>
  key === '$or' && Array.isArray(v) && v.length >= 2 && v.every(isObj);

export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  const fields = eventFields(event);
  return compileRules(pattern).some((clauses) => matchClauses(clauses, 0, fields, new Map()));
}

// ---------------------------------------------------------------------------------------------
// Paths: both sides flattened to dotted names, as event-ruler does

/** One field of a compiled rule: its dotted path and the values of its array (OR). */
interface Clause {
  readonly path: string;
  readonly matchers: readonly unknown[];
}

/** Which element of each enclosing event array (the array itself is its identity) a leaf came from. */
type Membership = ReadonlyMap<unknown[], number>;

interface Field {
  readonly value: Leaf;
  readonly membership: Membership;
}

/**
 * The pattern as event-ruler compiles it: one list of clauses per `$or` alternative (each `$or`
 * multiplies the alternatives), nested objects flattened to dotted paths, clauses sorted by path.
 * A field that is neither an array nor an object gets no matchers, so it never matches.
 */
function compileRules(pattern: Obj, prefix = '', rules: Clause[][] = [[]]): Clause[][] {
  let out = rules;
  for (const [key, sub] of Object.entries(pattern)) {
    if (isOr(key, sub)) {
      const before = out;
      out = sub.flatMap((alt) => compileRules(alt, prefix, before));
    } else if (isObj(sub)) {
      out = compileRules(sub, `${prefix}${key}.`, out);
    } else {
      const clause = { path: `${prefix}${key}`, matchers: Array.isArray(sub) ? sub : [] };
      out = out.map((clauses) => [...clauses, clause]);
    }
  }
  return prefix === '' ? out.map((clauses) => [...clauses].sort(byPath)) : out;
}

const byPath = (a: Clause, b: Clause): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The event's leaves by dotted path, looked up once per path the pattern names. */
type EventFields = (path: string) => readonly Field[];

function eventFields(event: Obj): EventFields {
  const cache = new Map<string, Field[]>();
  return (path) => {
    let found = cache.get(path);
    if (!found) {
      found = [];
      collect(event, path, new Map(), found);
      cache.set(path, found);
    }
    return found;
  };
}

/**
 * The leaves at `rest` below `value` (`undefined`: `value` itself). A key may hold dots, so each
 * way of cutting `rest` at a dot is tried: `{"a": {"b": 1}}`, `{"a.b": 1}` both hold `a.b`. As in
 * event-ruler, only object and array elements record their index: a leaf element is simply one
 * more value of its array's path.
 */
function collect(value: unknown, rest: string | undefined, membership: Membership, out: Field[]): void {
  if (Array.isArray(value)) {
    value.forEach((element: unknown, index) => {
      if (isObj(element) || Array.isArray(element)) {
        collect(element, rest, new Map(membership).set(value, index), out);
      } else if (rest === undefined && isLeaf(element)) {
        out.push({ value: element, membership });
      }
    });
  } else if (rest === undefined) {
    if (isLeaf(value)) out.push({ value, membership });
  } else if (isObj(value)) {
    if (Object.hasOwn(value, rest)) collect(value[rest], undefined, membership, out);
    for (let dot = rest.indexOf('.'); dot !== -1; dot = rest.indexOf('.', dot + 1)) {
      const key = rest.slice(0, dot);
      if (Object.hasOwn(value, key)) collect(value[key], rest.slice(dot + 1), membership, out);
    }
  }
}

/** Leaves from different elements of the same array never satisfy one rule together. */
function consistent(a: Membership, b: Membership): boolean {
  for (const [id, index] of b) if (a.has(id) && a.get(id) !== index) return false;
  return true;
}

/** The union of two consistent memberships; `a` itself when `b` adds nothing. */
function merged(a: Membership, b: Membership): Membership {
  if ([...b.keys()].every((id) => a.has(id))) return a;
  const m = new Map(a);
  for (const [id, index] of b) m.set(id, index);
  return m;
}

/**
 * The clauses from `i` on hold with leaves consistent with `membership`. Clauses are tried in
 * path order, as event-ruler's automaton walks them, so `{"exists": false}` looks for the field
 * among the leaves consistent with the clauses before it (not after).
 */
function matchClauses(clauses: readonly Clause[], i: number, fields: EventFields, membership: Membership): boolean {
  const clause = clauses[i];
  if (!clause) return true;
  const candidates = fields(clause.path).filter((f) => consistent(membership, f.membership));
  let triedUnconstrained = false; // leaves that add no array constraint all lead to the same state
  for (const f of candidates) {
    if (!clause.matchers.some((m) => matchValue(m, f.value))) continue;
    const next = merged(membership, f.membership);
    if (next === membership) {
      if (triedUnconstrained) continue;
      triedUnconstrained = true;
    }
    if (matchClauses(clauses, i + 1, fields, next)) return true;
  }
  return candidates.length === 0 && clause.matchers.some(isAbsentMatcher) && matchClauses(clauses, i + 1, fields, membership);
}

const isAbsentMatcher = (m: unknown): boolean =>
  isObj(m) && Object.keys(m).length === 1 && own(m, 'exists') === false;

/** Does one value of a field's array match one leaf? (`exists: false` is handled by the caller.) */
function matchValue(m: unknown, v: Leaf): boolean {
  if (isLeaf(m)) return typeof m === 'string' && typeof v === 'string' ? sameString(m, v) : m === v;
  if (!isObj(m)) return false;
  const entries = Object.entries(m);
  if (entries.length !== 1) return false;
  const [op, arg] = entries[0] as [string, unknown];
  if (op === 'exists') return arg === true;
  return matchOperator(op, arg, v);
}

/** An exact string that is an IP address matches the same address however it is spelled (event-ruler). */
function sameString(m: string, v: string): boolean {
  if (m === v) return true;
  const ip = ipBytes(m);
  const other = ip && ipBytes(v);
  return !!other && other.length === ip.length && other.every((b, i) => b === ip[i]);
}

function matchOperator(op: string, arg: unknown, v: Leaf): boolean {
  switch (op) {
    case 'prefix':
      return typeof v === 'string' && affix(arg, v, (s, a) => s.startsWith(a));
    case 'suffix':
      return typeof v === 'string' && affix(arg, v, (s, a) => s.endsWith(a));
    case 'equals-ignore-case':
      return typeof v === 'string' && typeof arg === 'string' && lower(v) === lower(arg);
    case 'wildcard':
      return typeof v === 'string' && typeof arg === 'string' && wildcardRegExp(arg).test(v);
    case 'numeric':
      return typeof v === 'number' && Array.isArray(arg) && numericMatches(arg, v);
    case 'anything-but':
      return !excluded(arg, v);
    case 'cidr': {
      const range = typeof arg === 'string' ? parseCidr(arg) : undefined;
      return typeof range === 'object' && typeof v === 'string' && inRange(range, v);
    }
    default:
      return false; // unknown operators: validatePattern reports them
  }
}

/** `prefix`/`suffix` take a string, or `{"equals-ignore-case": string}`. */
function affix(arg: unknown, v: string, test: (s: string, a: string) => boolean): boolean {
  if (typeof arg === 'string') return test(v, arg);
  const ci = isObj(arg) ? own(arg, 'equals-ignore-case') : undefined;
  return typeof ci === 'string' && test(lower(v), lower(ci));
}

/** Is `v` one of the things an `anything-but` argument names? Non-strings never match a string test. */
function excluded(arg: unknown, v: Leaf): boolean {
  if (Array.isArray(arg)) return arg.some((a) => a === v);
  if (!isObj(arg)) return arg === v;
  const [op, raw] = (Object.entries(arg)[0] ?? ['', undefined]) as [string, unknown];
  if (typeof v !== 'string') return false;
  const list = (Array.isArray(raw) ? raw : [raw]).filter((a): a is string => typeof a === 'string');
  switch (op) {
    case 'prefix':
      return list.some((a) => v.startsWith(a));
    case 'suffix':
      return list.some((a) => v.endsWith(a));
    case 'equals-ignore-case':
      return list.some((a) => lower(a) === lower(v));
    case 'wildcard':
      return list.some((a) => wildcardRegExp(a).test(v));
    default:
      return false;
  }
}

const NUMERIC_OPS: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function numericMatches(terms: readonly unknown[], v: number): boolean {
  for (let i = 0; i < terms.length; i += 2) {
    const cmp = NUMERIC_OPS[String(terms[i])];
    const bound = terms[i + 1];
    if (!cmp || typeof bound !== 'number' || !cmp(v, bound)) return false;
  }
  return terms.length > 0;
}

const wildcardCache = new Map<string, RegExp>();

/** `*` is any run of characters; `\*` and `\\` are a literal asterisk and backslash. */
function wildcardRegExp(pattern: string): RegExp {
  let re = wildcardCache.get(pattern);
  if (!re) {
    let src = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i] as string;
      if (c === '*') src += '.*';
      else if (c === '\\' && i + 1 < pattern.length) src += escapeRe(pattern[++i] as string);
      else src += escapeRe(c);
    }
    re = new RegExp(`^${src}$`, 's');
    wildcardCache.set(pattern, re);
  }
  return re;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------
// IP addresses and `cidr`, read as event-ruler reads them

// event-ruler only hands strings of these shapes to Java's InetAddress: so "::ffff:10.0.0.1" and
// "fe80::1%eth0" are not addresses to it, whatever Node's parser says.
const IPV4_TEXT = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_TEXT = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/**
 * The bytes of an IP address literal: 4 for IPv4, 16 for IPv6, and 4 for an IPv4-mapped IPv6
 * address (`::ffff:a00:1`), which Java's InetAddress turns into the IPv4 address. Undefined for
 * anything else.
 */
function ipBytes(s: string): number[] | undefined {
  if (IPV4_TEXT.test(s)) return isIPv4(s) ? s.split('.').map(Number) : undefined;
  if (!IPV6_TEXT.test(s) || !isIPv6(s)) return undefined;
  const [head = '', tail] = s.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const groups = tail === undefined ? front : [...front, ...new Array<string>(8 - front.length - back.length).fill('0'), ...back];
  const bytes = groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

interface IpRange {
  readonly bytes: readonly number[];
  readonly bits: number;
}

const cidrCache = new Map<string, IpRange | string>();

/** A `cidr` argument as a range, or what is wrong with it (event-ruler's `CIDR.cidr` rules). */
function parseCidr(text: string): IpRange | string {
  let parsed = cidrCache.get(text);
  if (parsed === undefined) {
    parsed = readCidr(text);
    cidrCache.set(text, parsed);
  }
  return parsed;
}

function readCidr(text: string): IpRange | string {
  const parts = text.split('/');
  if (parts.length !== 2) return 'must be an address, one "/" and a prefix length, e.g. "10.0.0.0/24"';
  const [address = '', length = ''] = parts;
  if (!/^[0-9]+$/.test(length)) return `the prefix length ${JSON.stringify(length)} must be a whole number`;
  const bytes = ipBytes(address);
  if (!bytes) return `${JSON.stringify(address)} is not an IPv4 or IPv6 address`;
  const bits = Number(length);
  const max = bytes.length * 8;
  if (bits >= max) {
    const family = bytes.length === 4 ? 'IPv4' : 'IPv6';
    return `an ${family} prefix length must be less than ${max} (EventBridge's matcher rejects /${bits}); to match one address, list it as a value, e.g. ["${address}"]`;
  }
  return { bytes, bits };
}

/** Is the string an address of the range's family whose first `bits` bits are the range's? */
function inRange(range: IpRange, v: string): boolean {
  const bytes = ipBytes(v);
  if (!bytes || bytes.length !== range.bytes.length) return false;
  for (let i = 0; i * 8 < range.bits; i++) {
    const take = Math.min(8, range.bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] as number) ^ (range.bytes[i] as number)) & mask) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Problems with a pattern, each naming its path; empty when the local matcher supports it. */
export function validatePattern(pattern: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(pattern)) return ['pattern: must be a JSON object'];
  checkObject(pattern, '', problems);
  if (problems.length === 0) problems.push(...duplicatePaths(pattern));
  return problems;
}

/**
 * `{"a": {"b": …}}` and `{"a.b": …}` name one field; a pattern that names it twice (in the same
 * `$or` alternative) is ambiguous: event-ruler keeps the later list or rejects the rule, by option.
 */
function duplicatePaths(pattern: Obj): string[] {
  const twice = new Set<string>();
  for (const clauses of compileRules(pattern)) {
    clauses.forEach((c, i) => {
      if (clauses[i + 1]?.path === c.path) twice.add(c.path);
    });
  }
  return [...twice].map(
    (path) => `${path}: named more than once (a dotted key and nested objects name the same field): merge the values into one list`,
  );
}

function checkObject(pattern: Obj, path: string, problems: string[]): void {
  const entries = Object.entries(pattern);
  if (entries.length === 0) problems.push(`${path || 'pattern'}: must name at least one field`);
  for (const [key, sub] of entries) {
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!isOr(key, sub)) problems.push(`${at}: must be an array of at least two pattern objects`);
      else sub.forEach((alt, i) => checkObject(alt, `${at}[${i}]`, problems));
    } else if (Array.isArray(sub)) {
      if (sub.length === 0) problems.push(`${at}: empty arrays are not allowed`);
      sub.forEach((m, i) => checkMatcher(m, `${at}[${i}]`, problems));
    } else if (isObj(sub)) {
      checkObject(sub, at, problems);
    } else {
      problems.push(`${at}: must be an array of match values or a nested pattern object`);
    }
  }
}

function checkMatcher(m: unknown, at: string, problems: string[]): void {
  if (isLeaf(m)) return;
  if (!isObj(m)) {
    problems.push(`${at}: match values must be strings, numbers, booleans, null or operator objects`);
    return;
  }
  const entries = Object.entries(m);
  if (entries.length !== 1) {
    problems.push(`${at}: an operator object must have exactly one key`);
    return;
  }
  const [op, arg] = entries[0] as [string, unknown];
  const problem = checkOperator(op, arg);
  if (problem) problems.push(`${at}.${op}: ${problem}`);
}

function checkOperator(op: string, arg: unknown): string | undefined {
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg === 'string') return undefined;
      if (isObj(arg) && Object.keys(arg).length === 1 && typeof own(arg, 'equals-ignore-case') === 'string') {
        return undefined;
      }
      return 'must be a string or {"equals-ignore-case": string}';
    case 'equals-ignore-case':
      return typeof arg === 'string' ? undefined : 'must be a string';
    case 'wildcard':
      return typeof arg === 'string' ? wildcardProblem(arg) : 'must be a string';
    case 'exists':
      return typeof arg === 'boolean' ? undefined : 'must be true or false';
    case 'numeric':
      return numericProblem(arg);
    case 'anything-but':
      return anythingButProblem(arg);
    case 'cidr': {
      if (typeof arg !== 'string') return 'must be a string in CIDR notation, e.g. "10.0.0.0/24"';
      const range = parseCidr(arg);
      return typeof range === 'string' ? `${JSON.stringify(arg)}: ${range}` : undefined;
    }
    default:
      return 'is not a known EventBridge operator';
  }
}

function wildcardProblem(p: string): string | undefined {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '*' && p[i + 1] === '*') return `consecutive wildcard characters at position ${i}`;
    if (p[i] === '\\') {
      if (p[i + 1] !== '*' && p[i + 1] !== '\\') return `invalid escape at position ${i}`;
      i++;
    }
  }
  return undefined;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function numericProblem(arg: unknown): string | undefined {
  if (!Array.isArray(arg)) return 'must be an array';
  const [op1, n1, op2, n2] = arg as unknown[];
  if (arg.length === 2) {
    if (typeof op1 !== 'string' || !(op1 in NUMERIC_OPS)) return `unknown operator ${JSON.stringify(op1)}`;
    return isNum(n1) ? undefined : `the value of ${op1} must be a number`;
  }
  if (arg.length === 4) {
    if (op1 !== '>' && op1 !== '>=') return 'a range must start with > or >=';
    if (op2 !== '<' && op2 !== '<=') return 'a range must end with < or <=';
    if (!isNum(n1) || !isNum(n2)) return 'range bounds must be numbers';
    return n1 < n2 ? undefined : 'the lower bound must be less than the upper bound';
  }
  return 'must be [operator, number] or [">"|">=", number, "<"|"<=", number]';
}

function anythingButProblem(arg: unknown): string | undefined {
  if (typeof arg === 'string' || isNum(arg)) return undefined;
  if (Array.isArray(arg)) {
    if (arg.length === 0) return 'must not be an empty list';
    const allStrings = arg.every((a) => typeof a === 'string');
    return allStrings || arg.every(isNum) ? undefined : 'a list must hold only strings or only numbers';
  }
  if (!isObj(arg)) return 'must be a string, a number, a list, or an object';
  const entries = Object.entries(arg);
  const [op, raw] = (entries[0] ?? ['', undefined]) as [string, unknown];
  if (entries.length !== 1 || !['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(op)) {
    return 'an object must have one key: prefix, suffix, equals-ignore-case or wildcard';
  }
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every((a) => typeof a === 'string')) {
    return `${op} must be a string or a non-empty list of strings`;
  }
  if ((op === 'prefix' || op === 'suffix') && list.some((a) => a === '')) return `${op} must not be empty`;
  if (op === 'wildcard') return list.map(wildcardProblem).find((p) => p !== undefined);
  return undefined;
}
