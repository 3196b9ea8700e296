// Pid files, and the rule that makes them safe: a pid is ours only if /proc/<pid>/cmdline still
// names our program and our data dir. A reused pid (an unrelated process) is never trusted and
// never signalled.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { procStateOf, readCmdline, readProcStat, type ProcStat } from './proc-info.js';
import { PRIVATE_FILE_MODE } from '../private-files.js';

export interface ProcessIdentity {
  /** Basename of the program (e.g. "etcd", "safekeeper.js") that must appear in argv. */
  readonly program: string;
  /** Data dir that must appear in argv, alone or as `--flag=<dir>`. */
  readonly dataDir: string;
}

export async function readPidFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const trimmed = text.trim();
  if (!/^[1-9]\d{0,9}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

export async function writePidFile(path: string, pid: number): Promise<void> {
  await writeFile(path, `${pid}\n`, { mode: PRIVATE_FILE_MODE });
}

export async function removePidFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

export function cmdlineMatches(argv: readonly string[], identity: ProcessIdentity): boolean {
  const namesProgram = argv.some((arg) => basename(arg) === identity.program);
  const namesDataDir = argv.some(
    (arg) => arg === identity.dataDir || arg.endsWith(`=${identity.dataDir}`),
  );
  return namesProgram && namesDataDir;
}

/** The pid from the pid file if it is a live (or paused) process running our program. */
export async function findOwnedPid(
  pidFile: string,
  identity: ProcessIdentity,
): Promise<number | undefined> {
  return (await findOwnedProcess(pidFile, identity))?.pid;
}

/** findOwnedPid, with the process's /proc stat read for the check (its state, its start). */
export async function findOwnedProcess(
  pidFile: string,
  identity: ProcessIdentity,
): Promise<{ readonly pid: number; readonly stat: ProcStat } | undefined> {
  const pid = await readPidFile(pidFile);
  if (pid === undefined) return undefined;
  const stat = await ownedProcessStat(pid, identity);
  return stat === undefined ? undefined : { pid, stat };
}

export async function isOwnedPid(pid: number, identity: ProcessIdentity): Promise<boolean> {
  return (await ownedProcessStat(pid, identity)) !== undefined;
}

/** /proc/PID/stat of `pid` while it is alive and ours (see ProcessIdentity); else undefined. */
export async function ownedProcessStat(
  pid: number,
  identity: ProcessIdentity,
): Promise<ProcStat | undefined> {
  const [stat, argv] = await Promise.all([readProcStat(pid), readCmdline(pid)]);
  const state = procStateOf(stat);
  if (stat === undefined || state === 'gone' || state === 'zombie') return undefined;
  return argv !== undefined && cmdlineMatches(argv, identity) ? stat : undefined;
}

/** Our process behind a pid file now: running, stopped by SIGSTOP, or down (none, or a zombie). */
export interface OwnedProcessState {
  readonly state: 'running' | 'paused' | 'down';
  readonly pid: number | undefined;
}

export async function ownedProcessState(
  pidFile: string,
  identity: ProcessIdentity,
): Promise<OwnedProcessState> {
  const pid = await findOwnedPid(pidFile, identity);
  if (pid === undefined) return { state: 'down', pid };
  const state = procStateOf(await readProcStat(pid));
  return { state: state === 'paused' || state === 'running' ? state : 'down', pid };
}
