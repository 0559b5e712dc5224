import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 nearly everywhere). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU time (user + system, ms) a process has used, from /proc/<pid>/stat; null where there is no
 * /proc (not Linux) or the process is gone. The fields after the command name, which may hold
 * spaces and parentheses, are counted from its closing parenthesis.
 */
export function processCpuMs(pid: number, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number | null {
  let stat: string;
  try {
    stat = read(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return ((utime + stime) * 1000) / clockTicks();
}

/** CPU of a set of processes over an interval: call `stop()` at its end for the percent of one core. */
export function cpuMeter(pids: readonly number[]): { stop(): number | null } {
  const sum = () => {
    let total = 0;
    for (const pid of pids) {
      const ms = processCpuMs(pid);
      if (ms === null) return null;
      total += ms;
    }
    return total;
  };
  const t0 = performance.now();
  const c0 = pids.length ? sum() : null;
  return {
    stop() {
      const c1 = c0 === null ? null : sum();
      const wall = performance.now() - t0;
      return c0 === null || c1 === null || wall <= 0 ? null : ((c1 - c0) / wall) * 100;
    },
  };
}
