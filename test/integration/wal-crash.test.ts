// A process appending WAL through the safekeeper's timeline code is killed with SIGKILL in the
// middle of its writes. The restarted safekeeper must report flush_lsn at the end of the last
// complete record: at least everything that was acknowledged, no torn record, and the same end
// that PostgreSQL's pg_waldump finds reading from the start of WAL (where its last valid record
// ends, not this project's decoder).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '../../src/common/deadline.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import {
  CRASH_SEGMENT_BYTES,
  CRASH_TENANT,
  CRASH_TIMELINE,
} from '../helpers/wal-writer-process.js';
import { pgWaldumpToEnd } from '../helpers/pg-waldump.js';
import { startTestSafekeeper } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';

const WRITER = fileURLToPath(new URL('../helpers/wal-writer-process.js', import.meta.url));
const WAL_START = BigInt(CRASH_SEGMENT_BYTES);
/** The writer is killed once this much WAL is acknowledged: inside a segment, at a boundary. */
const KILL_AFTER_BYTES = [300_000, 1_040_000, 2_600_000];

/** Runs the writer until `killAfterBytes` are acknowledged, SIGKILLs it, returns the last ack. */
async function writeUntilKilled(dataDir: string, killAfterBytes: number): Promise<Lsn> {
  const child = spawn(process.execPath, [WRITER, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let acknowledged: Lsn = 0n;
  let stderr = '';
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) acknowledged = parseLsn(line.replace('flushed ', ''));
    if (acknowledged >= WAL_START + BigInt(killAfterBytes)) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  assert.equal(signal, 'SIGKILL', `writer ended by itself (${code}): ${stderr}`);
  return acknowledged;
}

async function flushLsnOf(url: string): Promise<Lsn> {
  const status = await pollUntil(
    async () => {
      const response = await fetch(`${url}/v1/tenant/${CRASH_TENANT}/timeline/${CRASH_TIMELINE}`);
      return response.ok ? ((await response.json()) as TimelineStatus) : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
  assert.ok(status, 'the restarted safekeeper never answered the timeline status');
  return parseLsn(status.flush_lsn);
}

/** The first record: right after the segment's long page header. */
const FIRST_RECORD_LSN = WAL_START + 40n;

for (const killAfterBytes of KILL_AFTER_BYTES) {
  test(
    `SIGKILL after ${killAfterBytes} acknowledged bytes: restart at the last complete record`,
    { timeout: 60_000 },
    async (t) => {
      const scratch = await makeTempDir(t);
      const dataDir = join(scratch, 'sk');
      await mkdir(dataDir);
      const acknowledged = await writeUntilKilled(dataDir, killAfterBytes);

      // The judge reads the WAL as the crash left it, before the safekeeper opens it.
      const timelineDir = join(dataDir, CRASH_TENANT, CRASH_TIMELINE);
      const judge = await pgWaldumpToEnd(
        timelineDir,
        FIRST_RECORD_LSN,
        CRASH_SEGMENT_BYTES,
        scratch,
      );
      assert.ok(judge.records.length > 5, `pg_waldump read too little: ${judge.stopMessage}`);
      t.diagnostic(
        `pg_waldump: ${judge.records.length} records ending at ${formatLsn(judge.endLsn)}; acknowledged ${formatLsn(acknowledged)}; ${judge.stopMessage}`,
      );
      const sk = await startTestSafekeeper(t, dataDir);
      const flushLsn = await flushLsnOf(sk.url);
      assert.equal(
        formatLsn(flushLsn),
        formatLsn(judge.endLsn),
        `recovered flush_lsn differs from the end of pg_waldump's last valid record (${judge.records.length} records; it stopped with: ${judge.stopMessage})`,
      );
      assert.ok(
        flushLsn >= acknowledged,
        `acknowledged WAL lost: flush_lsn ${formatLsn(flushLsn)} < ${formatLsn(acknowledged)}`,
      );
      assert.doesNotMatch(sk.output(), /"level":"error"/);
    },
  );
}
