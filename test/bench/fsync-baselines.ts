// The disk's own numbers, for benchmarks to be judged against: the latency of one small write
// plus fdatasync, and a plain Node writer that appends and fdatasyncs to several files the way
// a quorum of safekeepers would. The plain way: a synchronous write into the page cache, then
// fdatasync through the callback API (the cheapest of Node's). Files are zero-filled and synced
// before any clock starts (unless the plain writer is asked to grow its own), and removed
// afterwards. Nothing here knows about safekeepers.
import { fdatasync, writeSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { WalIoMode } from '../../src/safekeeper/wal/direct-io.js';
import { createZeroFilledFile } from '../../src/safekeeper/wal/segment-files.js';
import { median, splitIntoChunks } from './bench-helpers.js';

/** Baseline files are zero-filled through the page cache and fsynced. */
export const PLAIN_FILES: WalIoMode = { direct: false, sync: true };

/** All of `bytes` at `offset` of an open file, synchronously (a positional write may be short). */
export function writeFullyAt(fd: number, bytes: Uint8Array, offset: number): void {
  let written = 0;
  while (written < bytes.length)
    written += writeSync(fd, bytes, written, bytes.length - written, offset + written);
}

export const fdatasyncFile: (fd: number) => Promise<void> = promisify(fdatasync);

export interface LatencyPlan {
  readonly writeBytes: number;
  readonly warmupCount: number;
  readonly measuredCount: number;
  /** Files written and fdatasynced in parallel for each step (1: a single file). */
  readonly fileCount: number;
  /** A step's latency ends when this many of its files are durable. */
  readonly quorum: number;
}

/**
 * One write of `writeBytes` at the next offset of each preallocated file, then fdatasync, one
 * step at a time (every file finishes before the next step); returns the ms until `quorum`
 * files were durable, for each measured step (the warm-up ones are dropped).
 */
export async function measureFdatasyncLatenciesMs(
  dir: string,
  plan: LatencyPlan,
): Promise<number[]> {
  const count = plan.warmupCount + plan.measuredCount;
  const paths = Array.from({ length: plan.fileCount }, (_, index) =>
    join(dir, `fdatasync-latency-${index}.bin`),
  );
  for (const path of paths) await createZeroFilledFile(path, count * plan.writeBytes, PLAIN_FILES);
  const handles = await Promise.all(paths.map((path) => open(path, 'r+')));
  const bytes = Buffer.alloc(plan.writeBytes, 0x5a);
  const durationsMs: number[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const startedAt = performance.now();
      let durable = 0;
      let quorumAt = 0;
      await Promise.all(
        handles.map(async (handle) => {
          writeFullyAt(handle.fd, bytes, index * plan.writeBytes);
          await fdatasyncFile(handle.fd);
          if (++durable === plan.quorum) quorumAt = performance.now();
        }),
      );
      if (index >= plan.warmupCount) durationsMs.push(quorumAt - startedAt);
    }
  } finally {
    await Promise.all(handles.map((handle) => handle.close()));
    await Promise.all(paths.map((path) => rm(path, { force: true })));
  }
  return durationsMs;
}

/** How the plain writer's files come to exist. */
export type PlainFiles =
  /** Zero-filled to full size and synced before the clock starts (the strictest baseline). */
  | 'preallocated'
  /** Created empty when the clock starts and grown by the appends (no preallocation at all). */
  | 'appended';

/**
 * For each chunk in turn: write it to every one of `fileCount` files and fdatasync each, the
 * files in parallel; returns the seconds from the first write to the last fdatasync.
 */
export async function measurePlainWriterSeconds(
  dir: string,
  chunks: readonly Uint8Array[],
  fileCount: number,
  files: PlainFiles = 'preallocated',
): Promise<number> {
  const totalBytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const paths = Array.from({ length: fileCount }, (_, index) => join(dir, `plain-${index}.bin`));
  if (files === 'preallocated')
    for (const path of paths) await createZeroFilledFile(path, totalBytes, PLAIN_FILES);
  const startedAt = performance.now();
  const handles = await Promise.all(
    paths.map((path) => open(path, files === 'preallocated' ? 'r+' : 'wx')),
  );
  try {
    let offset = 0;
    for (const chunk of chunks) {
      await Promise.all(
        handles.map(async (handle) => {
          writeFullyAt(handle.fd, chunk, offset);
          await fdatasyncFile(handle.fd);
        }),
      );
      offset += chunk.length;
    }
    return (performance.now() - startedAt) / 1000;
  } finally {
    await Promise.all(handles.map((handle) => handle.close()));
    await Promise.all(paths.map((path) => rm(path, { force: true })));
  }
}

/** What a benchmark's figures depend on in its own run: the disk's fdatasync and write rates. */
export interface DiskFacts {
  /** Median of 50 single 8 KiB writes, each followed by an fdatasync. */
  readonly fdatasync8KiBMedianMs: number;
  /** 64 MiB in 128 KiB appends with an fdatasync each, into a preallocated and a growing file. */
  readonly plainWriter128KiBFdatasyncMiBps: {
    readonly preallocated: number;
    readonly appended: number;
  };
}

const DISK_FACTS_WRITER_BYTES = 64 * 1024 * 1024;

/** Measures DiskFacts in `dir` (its scratch files are removed). */
export async function measureDiskFacts(dir: string): Promise<DiskFacts> {
  const latenciesMs = await measureFdatasyncLatenciesMs(dir, {
    writeBytes: 8192,
    warmupCount: 5,
    measuredCount: 50,
    fileCount: 1,
    quorum: 1,
  });
  const chunks = splitIntoChunks(Buffer.alloc(DISK_FACTS_WRITER_BYTES, 0x5a), 128 * 1024);
  const rateMiBps = async (files: PlainFiles): Promise<number> => {
    const seconds = await measurePlainWriterSeconds(dir, chunks, 1, files);
    await rm(join(dir, 'plain-0.bin'), { force: true });
    return Math.round((DISK_FACTS_WRITER_BYTES / 1024 / 1024 / seconds) * 10) / 10;
  };
  return {
    fdatasync8KiBMedianMs: Math.round(median(latenciesMs) * 100) / 100,
    plainWriter128KiBFdatasyncMiBps: {
      preallocated: await rateMiBps('preallocated'),
      appended: await rateMiBps('appended'),
    },
  };
}
