// A child process for crash tests: creates timeline <tenant>/<timeline> (1 MiB segments) in the
// data dir given as argv[2] and appends genuine WAL records through the safekeeper's own timeline
// code until killed, each record written in two pieces and then flushed. After each flush it
// prints "flushed <lsn>" and commits that LSN, so the test knows what was acknowledged.
import { pino } from 'pino';
import { parseTenantId, parseTimelineId } from '../../src/common/hex-id.js';
import { formatLsn } from '../../src/postgres/lsn.js';
import { WalEncoder } from '../../src/postgres/wal/wal-encoder.js';
import { TimelineRegistry } from '../../src/safekeeper/timeline/timeline-registry.js';

export const CRASH_TENANT = parseTenantId('c0ffee00c0ffee00c0ffee00c0ffee00');
export const CRASH_TIMELINE = parseTimelineId('7e57000000000000000000000000000e');
export const CRASH_SEGMENT_BYTES = 1024 * 1024;
export const CRASH_SYSTEM_ID = 7_300_000_000_000_000_042n;

async function main(dataDir: string): Promise<void> {
  const registry = new TimelineRegistry({
    dataDir,
    noSync: false,
    controlFileSaveIntervalMs: 300_000,
    walBackupConfigured: false,
    log: pino({ level: 'silent' }),
  });
  const timeline = await registry.create(
    CRASH_TENANT,
    CRASH_TIMELINE,
    { pgVersion: 150000, systemId: CRASH_SYSTEM_ID, walSegSize: CRASH_SEGMENT_BYTES },
    [],
  );
  const encoder = new WalEncoder({
    startLsn: BigInt(CRASH_SEGMENT_BYTES),
    prevRecordLsn: 0n,
    systemId: CRASH_SYSTEM_ID,
    segmentSizeBytes: CRASH_SEGMENT_BYTES,
  });
  await timeline.truncateWal(encoder.currentLsn);
  for (let i = 0; ; i++) {
    const record = encoder.appendLogicalMessageOfSize(200 + ((i * 7919) % 30_000));
    const from = record.endLsn - BigInt(record.bytes.length);
    const split = Math.floor(record.bytes.length / 2);
    const flushLsn = await timeline.appendWal([
      { startLsn: from, bytes: record.bytes.subarray(0, split) },
      { startLsn: from + BigInt(split), bytes: record.bytes.subarray(split) },
    ]);
    await timeline.advanceInmem({ commitLsn: flushLsn });
    process.stdout.write(`flushed ${formatLsn(flushLsn)}\n`);
  }
}

const dataDir = process.argv[2];
if (dataDir !== undefined && process.argv[1]?.endsWith('wal-writer-process.js')) {
  main(dataDir).catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
