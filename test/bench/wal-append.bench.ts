// WAL append throughput through the safekeeper's WAL storage module (128 KiB appends, one
// flush per 1 MiB, 16 MiB segments created on the way), against a plain Node loop doing the
// same writes and fdatasyncs on a preallocated file, in the same run. Also reports 100
// timelines appending concurrently. Prints one JSON line per comparison.
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { probeDirectIo } from '../../src/safekeeper/wal/direct-io.js';
import { createZeroFilledFile, segmentPath } from '../../src/safekeeper/wal/segment-files.js';
import { WalStorage } from '../../src/safekeeper/wal/wal-storage.js';
import { makeTestWal, MIB } from '../helpers/wal.js';
import {
  median,
  reportThroughput,
  round,
  splitIntoChunks,
  withScratchDir,
} from './bench-helpers.js';
import { fdatasyncFile, PLAIN_FILES, writeFullyAt } from './fsync-baselines.js';

const SEGMENT_BYTES = 16 * MIB;
const APPEND_BYTES = 128 * 1024;
const APPENDS_PER_FLUSH = MIB / APPEND_BYTES;
const TOTAL_BYTES = 256 * MIB;
const RUNS = 5;
const TIMELINES = 100;
const BYTES_PER_TIMELINE = 2 * MIB;
const WAL_START = BigInt(SEGMENT_BYTES);

/**
 * The baseline: the same appends and fdatasyncs on a file zero-filled beforehand (untimed), the
 * plain way (synchronous writes into the page cache, the callback fdatasync).
 */
async function plainLoopSeconds(dir: string, chunks: readonly Buffer[]): Promise<number> {
  const path = join(dir, 'plain.bin');
  await createZeroFilledFile(path, TOTAL_BYTES, PLAIN_FILES);
  const handle = await open(path, 'r+');
  const startedAt = performance.now();
  let offset = 0;
  for (const [index, chunk] of chunks.entries()) {
    writeFullyAt(handle.fd, chunk, offset);
    offset += chunk.length;
    if ((index + 1) % APPENDS_PER_FLUSH === 0) await fdatasyncFile(handle.fd);
  }
  await fdatasyncFile(handle.fd);
  const seconds = (performance.now() - startedAt) / 1000;
  await handle.close();
  return seconds;
}

async function appendAll(storage: WalStorage, chunks: readonly Buffer[]): Promise<void> {
  let lsn = WAL_START;
  for (const [index, chunk] of chunks.entries()) {
    await storage.write(lsn, chunk);
    lsn += BigInt(chunk.length);
    if ((index + 1) % APPENDS_PER_FLUSH === 0) await storage.flush();
  }
  await storage.flush();
}

async function openStorage(dir: string): Promise<WalStorage> {
  return WalStorage.open({ dir, segmentSizeBytes: SEGMENT_BYTES, noSync: false }, { endLsn: 0n });
}

/**
 * Our storage; with `preallocated`, every segment exists (zero-filled by the storage's own
 * routine) before the clock starts, as the baseline's file does.
 */
async function storageSeconds(
  dir: string,
  chunks: readonly Buffer[],
  preallocated: boolean,
): Promise<number> {
  const segments = BigInt(TOTAL_BYTES / SEGMENT_BYTES);
  const mode = { direct: await probeDirectIo(dir), sync: true };
  for (let segno = 1n; preallocated && segno <= segments + 1n; segno++)
    await createZeroFilledFile(segmentPath(dir, segno, SEGMENT_BYTES, true), SEGMENT_BYTES, mode);
  const storage = await openStorage(dir);
  const startedAt = performance.now();
  await appendAll(storage, chunks);
  const seconds = (performance.now() - startedAt) / 1000;
  await storage.close();
  return seconds;
}

async function concurrentSeconds(dir: string, chunks: readonly Buffer[]): Promise<number> {
  const storages = await Promise.all(
    Array.from({ length: TIMELINES }, async (_, index) => {
      const timelineDir = join(dir, `timeline-${index}`);
      await mkdir(timelineDir);
      return openStorage(timelineDir);
    }),
  );
  const startedAt = performance.now();
  await Promise.all(storages.map((storage) => appendAll(storage, chunks)));
  const seconds = (performance.now() - startedAt) / 1000;
  await Promise.all(storages.map((storage) => storage.close()));
  return seconds;
}

function withScratch<T>(action: (dir: string) => Promise<T>): Promise<T> {
  return withScratchDir('neon-local-bench-', action);
}

const recordCount = TOTAL_BYTES / 8192;
const wal = makeTestWal(
  WAL_START,
  Array.from({ length: recordCount }, () => 8192),
  SEGMENT_BYTES,
);
const chunks = splitIntoChunks(wal.bytes.subarray(0, TOTAL_BYTES), APPEND_BYTES);
// One unmeasured round first, so that both sides run JIT-compiled code.
await withScratch((dir) => plainLoopSeconds(dir, chunks));
await withScratch((dir) => storageSeconds(dir, chunks, true));
const plain: number[] = [];
const preallocated: number[] = [];
const endToEnd: number[] = [];
for (let run = 0; run < RUNS; run++) {
  plain.push(await withScratch((dir) => plainLoopSeconds(dir, chunks)));
  preallocated.push(await withScratch((dir) => storageSeconds(dir, chunks, true)));
  endToEnd.push(await withScratch((dir) => storageSeconds(dir, chunks, false)));
}
const totalMiB = TOTAL_BYTES / MIB;
const baselineMiBPerSecond = round(totalMiB / median(plain));
const notes = {
  totalMiB,
  appendBytes: APPEND_BYTES,
  flushEveryBytes: MIB,
  segmentBytes: SEGMENT_BYTES,
};
const single = reportThroughput({
  benchmark: 'wal-append-one-timeline',
  runs: RUNS,
  subjectMiBPerSecond: round(totalMiB / median(preallocated)),
  baselineMiBPerSecond,
  baseline: 'plain Node loop: same 128 KiB writes and fdatasync per MiB on a preallocated file',
  targetRatio: 0.8,
  notes: { ...notes, segments: 'preallocated before the clock starts, like the baseline file' },
});
const creating = reportThroughput({
  benchmark: 'wal-append-one-timeline-creating-segments',
  runs: RUNS,
  subjectMiBPerSecond: round(totalMiB / median(endToEnd)),
  baselineMiBPerSecond,
  baseline: 'plain Node loop: same 128 KiB writes and fdatasync per MiB on a preallocated file',
  targetRatio: 0.8,
  notes: {
    ...notes,
    segments: 'created inside the timing: each is zero-filled and fsynced (twice the bytes)',
  },
});
const perTimeline = chunks.slice(0, BYTES_PER_TIMELINE / APPEND_BYTES);
const concurrent: number[] = [];
for (let run = 0; run < RUNS; run++)
  concurrent.push(await withScratch((dir) => concurrentSeconds(dir, perTimeline)));
const concurrentMiB = (TIMELINES * BYTES_PER_TIMELINE) / MIB;
process.stdout.write(
  `${JSON.stringify({
    benchmark: 'wal-append-100-timelines',
    runs: RUNS,
    timelines: TIMELINES,
    totalMiB: concurrentMiB,
    miBPerSecond: round(concurrentMiB / median(concurrent)),
    oneTimelineMiBPerSecond: single.subjectMiBPerSecond,
    oneTimelineCreatingSegmentsMiBPerSecond: creating.subjectMiBPerSecond,
    notes: 'each timeline creates (zero-fills and fsyncs) its own 16 MiB segment inside the timing',
  })}\n`,
);
