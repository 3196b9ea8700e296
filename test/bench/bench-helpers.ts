// Shared pieces of the benchmarks: timing a command many times, medians, and the JSON report.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import Module from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../../src/index.js';
import { randomPortOffset } from '../helpers/cluster.js';

export interface TimedCommand {
  readonly elapsedMs: number;
  readonly stdout: string;
}

/** Runs a command to its end (failing unless it exits 0): its wall time and its stdout. */
export function timeCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): TimedCommand {
  const begunAt = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsedMs = Number(process.hrtime.bigint() - begunAt) / 1e6;
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}${result.stdout.toString()}`,
    );
  return { elapsedMs, stdout: result.stdout.toString() };
}

export function timeCommandMs(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): number {
  return timeCommand(command, args, env).elapsedMs;
}

/** Linux's fixed unit of the times in /proc/PID/stat (USER_HZ). */
const USER_HZ = 100;

/**
 * CPU time in ms that this process's waited-for children have used (cutime + cstime of
 * /proc/self/stat, in 10 ms steps): the difference around a spawnSync is that command's CPU,
 * without the detached daemons it leaves running. Undefined when /proc cannot say.
 */
export function waitedChildrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is the
    // 3rd field of the line, cutime and cstime the 16th and 17th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[13]) + Number(fields[14]);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time in ms that a running process has used so far, all its threads together, from
 * /proc/PID/task/TID/schedstat (nanoseconds); undefined when it is gone or unreadable.
 */
export function processCpuMs(pid: number): number | undefined {
  try {
    let totalNs = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const runNs = Number(
        readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0],
      );
      if (!Number.isFinite(runNs)) return undefined;
      totalNs += runNs;
    }
    return totalNs / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * Times `subject` and `baseline` alternately (after `warmups` untimed rounds of each), so that
 * whatever else the machine does meanwhile falls on both alike.
 */
export function alternate(
  subject: () => number,
  baseline: () => number,
  runs: number,
  warmups: number,
): { subjectMs: number[]; baselineMs: number[] } {
  for (let index = 0; index < warmups; index++) {
    subject();
    baseline();
  }
  const subjectMs: number[] = [];
  const baselineMs: number[] = [];
  for (let index = 0; index < runs; index++) {
    subjectMs.push(subject());
    baselineMs.push(baseline());
  }
  return { subjectMs, baselineMs };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export interface Comparison {
  readonly benchmark: string;
  readonly runs: number;
  readonly subjectMedianMs: number;
  readonly baselineMedianMs: number;
  readonly baseline: string;
  readonly ratio: number;
  readonly targetRatio: number;
  readonly meetsTarget: boolean;
  readonly notes?: Readonly<Record<string, unknown>>;
}

export function report(comparison: Omit<Comparison, 'ratio' | 'meetsTarget'>): Comparison {
  const ratio = Math.round((comparison.subjectMedianMs / comparison.baselineMedianMs) * 100) / 100;
  const full = { ...comparison, ratio, meetsTarget: ratio <= comparison.targetRatio };
  process.stdout.write(`${JSON.stringify(full)}\n`);
  return full;
}

/** Runs `action` in a new scratch dir under the OS temp dir, removed afterwards whatever happens. */
export async function withScratchDir<T>(
  prefix: string,
  action: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await action(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `bytes` cut into consecutive views of `chunkBytes` (the last may be shorter). */
export function splitIntoChunks(bytes: Buffer, chunkBytes: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes)
    chunks.push(bytes.subarray(at, at + chunkBytes));
  return chunks;
}

export interface BenchCluster {
  readonly cluster: LocalCluster;
  /** The benchmark's scratch dir (the repo dir is `<dir>/repo`). */
  readonly dir: string;
  /** The caller's environment plus NEON_REPO_DIR, for timing CLI invocations. */
  readonly env: NodeJS.ProcessEnv;
}

/** An initialised 3-safekeeper cluster with embedded storage in a scratch dir, always cleaned up. */
export async function withBenchCluster(
  sync: boolean,
  action: (bench: BenchCluster) => Promise<void>,
): Promise<void> {
  await withScratchDir('neon-local-bench-', async (dir) => {
    const cluster = new LocalCluster(join(dir, 'repo'));
    try {
      await cluster.init({
        safekeeperCount: 3,
        portOffset: randomPortOffset(),
        sync,
        remoteStorage: 'embedded',
      });
      await action({ cluster, dir, env: { ...process.env, NEON_REPO_DIR: cluster.repoDir } });
    } finally {
      await cluster.stop('immediate').catch(() => undefined);
    }
  });
}

export function environmentNotes(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return { nodeExtraCaCerts: env.NODE_EXTRA_CA_CERTS !== undefined, node: process.version };
}

const BUNDLE_DIR = fileURLToPath(new URL('../../bundle/', import.meta.url));
const VENDOR_DIR = fileURLToPath(new URL('../../bundle/vendor/', import.meta.url));

/**
 * What a start-up figure depends on, measured in the same run: cores and load (other work on the
 * machine), bare `node -e 0` with and without NODE_EXTRA_CA_CERTS, and whether the bundles carry a
 * V8 code cache (Node 20) or Node's own compile cache is used (Node >= 22.1).
 */
export function startupNotes(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const bare = { ...env };
  delete bare.NODE_EXTRA_CA_CERTS;
  const nodeBoot = (runEnv: NodeJS.ProcessEnv): number =>
    round(
      median(Array.from({ length: 5 }, () => timeCommandMs(process.execPath, ['-e', '0'], runEnv))),
    );
  const caches = (dir: string): string[] => {
    try {
      return readdirSync(dir).filter((name) => name.endsWith('.v8-cache'));
    } catch {
      return [];
    }
  };
  const entryCaches = caches(BUNDLE_DIR);
  const vendorCaches = caches(VENDOR_DIR);
  return {
    ...environmentNotes(env),
    cores: availableParallelism(),
    loadAverage1m: round(loadavg()[0] ?? 0),
    nodeBootMedianMs: nodeBoot(env),
    nodeBootWithoutExtraCaMedianMs: nodeBoot(bare),
    compileCache:
      typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function'
        ? 'node'
        : `v8 code cache for ${entryCaches.length} entry and ${vendorCaches.length} vendor bundles`,
  };
}

/** The machine's CPU time so far (/proc/stat, clock ticks): all of it, and what was stolen. */
export interface CpuTicks {
  readonly total: number;
  readonly steal: number;
}

export function readCpuTicks(): CpuTicks | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const ticks = fields.slice(1, 9).map(Number);
    if (ticks.length < 8 || ticks.some((value) => !Number.isFinite(value))) return undefined;
    return { total: ticks.reduce((sum, value) => sum + value, 0), steal: ticks[7]! };
  } catch {
    return undefined;
  }
}

/**
 * The share of the machine's CPU time the hypervisor gave to others since `before` (steal time,
 * in %): a virtual machine's neighbours slow a start-up figure down without any load showing.
 */
export function stealPercentSince(before: CpuTicks | undefined): number | null {
  const after = readCpuTicks();
  if (before === undefined || after === undefined || after.total <= before.total) return null;
  return round((100 * (after.steal - before.steal)) / (after.total - before.total));
}

export interface ThroughputComparison {
  readonly benchmark: string;
  readonly runs: number;
  readonly subjectMiBPerSecond: number;
  readonly baselineMiBPerSecond: number;
  readonly baseline: string;
  /** subject / baseline throughput: higher is better. */
  readonly ratio: number;
  readonly targetRatio: number;
  readonly meetsTarget: boolean;
  readonly notes?: Readonly<Record<string, unknown>>;
}

export function reportThroughput(
  comparison: Omit<ThroughputComparison, 'ratio' | 'meetsTarget'>,
): ThroughputComparison {
  const ratio =
    Math.round((comparison.subjectMiBPerSecond / comparison.baselineMiBPerSecond) * 100) / 100;
  const full = { ...comparison, ratio, meetsTarget: ratio >= comparison.targetRatio };
  process.stdout.write(`${JSON.stringify(full)}\n`);
  return full;
}

/** The nearest-rank percentile (`fraction` in (0, 1]) of a non-empty list. */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0 || !(fraction > 0 && fraction <= 1))
    throw new RangeError(`percentile ${fraction} of ${values.length} values`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(fraction * sorted.length) - 1]!;
}
