// Shared pieces of the benchmarks: timing a command many times, medians, and the JSON report.
import { spawnSync } from 'node:child_process';

export function timeCommandMs(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): number {
  const begunAt = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsedMs = Number(process.hrtime.bigint() - begunAt) / 1e6;
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString()}`,
    );
  return elapsedMs;
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
