import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface ProcessStat {
  ppid: number;
  /** User plus system CPU time in seconds. */
  cpuSeconds: number;
}

/** Reads /proc/PID/stat; undefined once the process has gone. */
function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name in brackets may contain spaces, so fields are counted after its closing bracket.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return { ppid: Number(fields[1]), cpuSeconds: (utime + stime) / CLOCK_TICKS_PER_SECOND };
}

function childrenOf(parentPid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && readStat(pid)?.ppid === parentPid) {
      pids.push(pid);
    }
  }
  return pids;
}

/** Process groups whose CPU time a load run adds up, by component name. */
export type ComponentPids = Record<string, () => number[]>;

/** Pids of the processes whose command name (/proc/PID/comm) is `name`, such as redis-server. */
export function pidsNamed(name: string): () => number[] {
  return () =>
    readdirSync('/proc')
      .map(Number)
      .filter((pid) => Number.isInteger(pid) && readComm(pid) === name);
}

function readComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Component pids for a PostgreSQL server: the postmaster and every backend it forked. */
export function postgresPids(postmasterPid: number): () => number[] {
  return () => [postmasterPid, ...childrenOf(postmasterPid)];
}

export type CpuSample = Map<string, Map<number, number>>;

/**
 * Samples the CPU time of each component. A backend that exits during the run loses its
 * time, so pooled connections, which live for the whole run, are what it measures.
 */
export function sampleCpu(components: ComponentPids): CpuSample {
  const sample: CpuSample = new Map();
  for (const [name, pids] of Object.entries(components)) {
    const perPid = new Map<number, number>();
    for (const pid of pids()) {
      const stat = readStat(pid);
      if (stat) {
        perPid.set(pid, stat.cpuSeconds);
      }
    }
    sample.set(name, perPid);
  }
  return sample;
}

/** CPU seconds each component used between two samples; a process seen only at the end counts from zero. */
export function cpuBetween(before: CpuSample, after: CpuSample): Record<string, number> {
  const used: Record<string, number> = {};
  for (const [name, perPid] of after) {
    let seconds = 0;
    for (const [pid, cpuSeconds] of perPid) {
      seconds += cpuSeconds - (before.get(name)?.get(pid) ?? 0);
    }
    used[name] = seconds;
  }
  return used;
}
