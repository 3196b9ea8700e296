// Reads what Linux tells about a process through /proc: its argv, its scheduler state and its
// age. Nothing here signals or changes a process.
import { readFile } from 'node:fs/promises';

export type ProcState = 'running' | 'paused' | 'zombie' | 'gone';

/** argv from the contents of /proc/<pid>/cmdline (NUL-separated); undefined when empty. */
export function parseCmdline(raw: Buffer): string[] | undefined {
  if (raw.length === 0) return undefined;
  return raw.toString('utf8').replace(/\0$/, '').split('\0');
}

export async function readCmdline(pid: number): Promise<string[] | undefined> {
  try {
    return parseCmdline(await readFile(`/proc/${pid}/cmdline`));
  } catch {
    return undefined;
  }
}

export interface ProcStat {
  readonly state: string;
  readonly startTimeTicks: number;
}

/** State and start time from /proc/<pid>/stat; undefined when the process is gone. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const startTime = fields[19];
    if (state === undefined || startTime === undefined) return undefined;
    return { state, startTimeTicks: Number(startTime) };
  } catch {
    return undefined;
  }
}

export async function readProcState(pid: number): Promise<ProcState> {
  return procStateOf(await readProcStat(pid));
}

export function procStateOf(stat: ProcStat | undefined): ProcState {
  if (stat === undefined) return 'gone';
  if (stat.state === 'Z' || stat.state === 'X') return 'zombie';
  if (stat.state === 'T' || stat.state === 't') return 'paused';
  return 'running';
}

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux architecture we run on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** How long the process has been running, or undefined if it is gone. */
export async function readUptimeMs(pid: number): Promise<number | undefined> {
  const stat = await readProcStat(pid);
  return stat === undefined ? undefined : uptimeMsOf(stat);
}

/** How long the process of this stat has been running, from the system's uptime. */
export async function uptimeMsOf(stat: ProcStat): Promise<number | undefined> {
  try {
    const systemUptimeS = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
    return Math.max(
      0,
      Math.round((systemUptimeS - stat.startTimeTicks / CLOCK_TICKS_PER_SECOND) * 1000),
    );
  } catch {
    return undefined;
  }
}

export function isSignalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
