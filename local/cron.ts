/**
 * EventBridge cron expressions, as the local scheduler runs them:
 * `cron(minutes hours day-of-month month day-of-week year)`, UTC. Each field takes `*`, a value,
 * a list (`1,15`), a range (`1-5`), a step (`*\/15`, `0/10`, `8-18/2`); months take JAN–DEC and days
 * of week SUN–SAT (1 = SUN … 7 = SAT, as EventBridge numbers them). One of day-of-month and
 * day-of-week must be `?` (any). `L`, `W` and `#` are rejected: nothing in the manifest uses them,
 * and a schedule that cannot run locally should say so rather than run at the wrong time.
 */

export class CronParseError extends Error {
  override readonly name = 'CronParseError';
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The first name's value (months: JAN = 1; days: SUN = 1). */
  namesFrom?: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

const FIELDS: readonly FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, namesFrom: 1 },
  { name: 'year', min: 1970, max: 2199 },
];

/** `undefined` = any value (`*` or `?`). */
type Field = ReadonlySet<number> | undefined;

export interface CronSchedule {
  readonly expression: string;
  /** The first fire time strictly after `after` (whole minutes, UTC); undefined when none is left. */
  next(after: Date): Date | undefined;
}

function value(text: string, spec: FieldSpec): number {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper as never) ?? -1;
  const n = named >= 0 ? named + (spec.namesFrom ?? 0) : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < spec.min || n > spec.max) {
    throw new CronParseError(`${spec.name}: "${text}" is not a value from ${spec.min} to ${spec.max}${spec.names ? ` or ${spec.names[0]}–${spec.names.at(-1)}` : ''}`);
  }
  return n;
}

function parseField(text: string, spec: FieldSpec, allowAny: boolean): Field {
  if (text === '?') {
    if (!allowAny) throw new CronParseError(`${spec.name}: "?" is only allowed in day-of-month or day-of-week`);
    return undefined;
  }
  if (text === '*') return undefined;
  if (text.split(',').some((part) => /^(L|LW|\d*L|\d+W|[0-9A-Za-z]+#\d)$/i.test(part))) {
    throw new CronParseError(`${spec.name}: "${text}" uses L, W or #, which the local scheduler does not support`);
  }
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!match) throw new CronParseError(`${spec.name}: "${part}" is not a value, range, list or step`);
    const [, range, stepText] = match as unknown as [string, string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronParseError(`${spec.name}: the step in "${part}" must be a positive whole number`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [spec.min, spec.max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [value(a, spec), value(b, spec)];
      if (from > to) throw new CronParseError(`${spec.name}: the range "${range}" runs backwards`);
    } else {
      from = value(range, spec);
      // `5/15` means from 5 to the end, every 15; a bare value is itself.
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

const has = (field: Field, v: number): boolean => field === undefined || field.has(v);

/**
 * Parses `cron(…)` (or the bare six fields).
 * @throws CronParseError naming the field that is wrong.
 * @example
 * parseCron('cron(0 6 ? * MON *)').next(new Date('2026-03-04T00:00:00Z')) // 2026-03-09T06:00:00Z
 */
export function parseCron(expression: string): CronSchedule {
  const inner = /^cron\((.*)\)$/.exec(expression.trim())?.[1] ?? expression.trim();
  const parts = inner.trim().split(/\s+/);
  if (parts.length !== 6) throw new CronParseError(`"${expression}" must have six fields: minutes hours day-of-month month day-of-week year`);
  const [minutes, hours, dom, month, dow, year] = parts.map((p, i) => parseField(p, FIELDS[i]!, i === 2 || i === 4)) as Field[];
  const domAny = parts[2] === '?';
  const dowAny = parts[4] === '?';
  if (domAny === dowAny) throw new CronParseError(`"${expression}": exactly one of day-of-month and day-of-week must be "?"`);

  const dayMatches = (d: Date) => (domAny ? has(dow, d.getUTCDay() + 1) : has(dom, d.getUTCDate()));

  return {
    expression,
    next(after: Date): Date | undefined {
      const t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
      // At most a few thousand jumps: each skips a whole year, month, day, hour or minute.
      for (let guard = 0; guard < 200_000; guard++) {
        const y = t.getUTCFullYear();
        if (y > 2199) return undefined;
        if (!has(year, y)) {
          t.setTime(Date.UTC(y + 1, 0, 1));
          continue;
        }
        if (!has(month, t.getUTCMonth() + 1)) {
          t.setTime(Date.UTC(y, t.getUTCMonth() + 1, 1));
          continue;
        }
        if (!dayMatches(t)) {
          t.setTime(Date.UTC(y, t.getUTCMonth(), t.getUTCDate() + 1));
          continue;
        }
        if (!has(hours, t.getUTCHours())) {
          t.setTime(Date.UTC(y, t.getUTCMonth(), t.getUTCDate(), t.getUTCHours() + 1));
          continue;
        }
        if (!has(minutes, t.getUTCMinutes())) {
          t.setTime(t.getTime() + 60_000);
          continue;
        }
        return t;
      }
      return undefined;
    },
  };
}
