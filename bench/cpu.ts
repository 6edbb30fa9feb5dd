/**
 * CPU time from /proc (Linux): per process, and for the whole machine, so the bench can say where
 * the time of a request goes — the runtime, DynamoDB Local, the load generator, or someone else.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: /proc reports CPU time in these ticks; 100 on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** User + system CPU time of a process so far, in ms; NaN when it cannot be read. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export interface MachineCpu {
  busy: number;
  total: number;
}

/** Busy and total ticks of all CPUs since boot (/proc/stat); zeros when it cannot be read. */
export function machineCpu(): MachineCpu {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...values] = line.trim().split(/\s+/);
    const ticks = values.map(Number);
    const total = ticks.slice(0, 8).reduce((sum, v) => sum + v, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** The share of all CPUs that was busy between two snapshots, 0–100. */
export const busyPercent = (from: MachineCpu, to: MachineCpu): number =>
  to.total > from.total ? (100 * (to.busy - from.busy)) / (to.total - from.total) : 0;
