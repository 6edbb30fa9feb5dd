/**
 * EventBridge event-pattern matching for the local bus.
 *
 * Semantics follow the EventBridge user guide (event patterns, content filtering, arrays, null
 * values) and, where the guide is silent, aws/event-ruler (AWS's open-source matcher for this rule
 * language; its README and tests settle the edge cases):
 * - fields in a pattern AND; the values in a field's array OR;
 * - a pattern names leaves by path; an event value that is an array matches if any element does,
 *   and a nested pattern applied to an array of objects must match within one element;
 * - a field missing from the event matches nothing but `{"exists": false}` (not `anything-but`);
 * - operators test leaves only: an object-valued field does not "exist", and `numeric` sees only
 *   JSON numbers (the string "5" is not 5);
 * - `anything-but` matches every present leaf that is not excluded, whatever its type.
 *
 * `validatePattern` rejects what this matcher does not implement (`cidr`, `$or` as a field name,
 * unknown operators) so that a manifest cannot silently mis-match locally.
 */

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
  return matchObject(pattern, event);
}

function matchObject(pattern: Obj, value: Obj): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    if (isOr(key, sub)) return sub.some((alt) => matchObject(alt, value));
    const field = own(value, key);
    if (Array.isArray(sub)) return matchLeaf(sub, leavesOf(field));
    if (isObj(sub)) return containersOf(field).some((c) => matchObject(sub, c));
    return false;
  });
}

/** The objects a nested pattern is applied to: each element of an (arbitrarily nested) array. */
function containersOf(v: unknown): Obj[] {
  if (isObj(v)) return [v];
  if (!Array.isArray(v)) return [{}]; // missing or a leaf: every field beneath is absent
  const flat = (v as unknown[]).flat(Infinity);
  return flat.length === 0 ? [{}] : flat.map((e) => (isObj(e) ? e : {}));
}

/** The leaf values at a path: none when missing or an object, each leaf element of an array. */
function leavesOf(v: unknown): Leaf[] {
  if (Array.isArray(v)) return v.flat(Infinity).filter(isLeaf);
  return isLeaf(v) ? [v] : [];
}

function matchLeaf(matchers: readonly unknown[], leaves: Leaf[]): boolean {
  return matchers.some((m) => {
    if (isLeaf(m)) return leaves.some((v) => v === m);
    if (!isObj(m)) return false;
    const entries = Object.entries(m);
    if (entries.length !== 1) return false;
    const [op, arg] = entries[0] as [string, unknown];
    if (op === 'exists') return arg === leaves.length > 0;
    return leaves.some((v) => matchOperator(op, arg, v));
  });
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
    default:
      return false; // cidr and unknown operators: validatePattern reports them
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
// Validation

/** Problems with a pattern, each naming its path; empty when the local matcher supports it. */
export function validatePattern(pattern: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(pattern)) return ['pattern: must be a JSON object'];
  checkObject(pattern, '', problems);
  return problems;
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
    case 'cidr':
      return 'is not supported by the local event bus';
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
