// Helpers for tests that push WAL through `neon_local wal push` to a real cluster: run a push
// (in the background when a fault is injected during it), read each safekeeper's timeline status
// and WAL files, and compare them across safekeepers.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeId } from '../../src/common/ids.js';
import type { LocalCluster } from '../../src/index.js';
import { pollUntil } from '../../src/common/deadline.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { segmentFileName } from '../../src/postgres/segment-name.js';
import { runCli, runCliJson, type CliResult } from './cli.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';
import type { WalPushResult } from '../../src/cluster/wal-push.js';

export const TENANT = 'c0ffee00c0ffee00c0ffee00c0ffee00';
export const TIMELINE = '7e57ab1e7e57ab1e7e57ab1e7e57ab1e';
export const TIMELINE_REF = `${TENANT}/${TIMELINE}`;
const FLUSH_WAIT_TIMEOUT_MS = 20_000;

/** What `wal push --json` answers, as the CLI types it. */
export type PushResult = WalPushResult;

export type { TimelineStatus };

/** `wal push --create` with --json (the first push makes the timeline); asserts exit 0. */
export async function pushOk(repoDir: string, args: readonly string[]): Promise<PushResult> {
  const pushed = await runCliJson<PushResult>(['wal', 'push', TIMELINE_REF, '--create', ...args], {
    repoDir,
  });
  assert.equal(pushed.exitCode, 0, `${JSON.stringify(pushed.body)}\n${pushed.stderr}`);
  return pushed.body.result as PushResult;
}

/** Starts `wal push --json` in the background; its progress goes to stderr. */
export function pushInBackground(repoDir: string, args: readonly string[]): Promise<CliResult> {
  return runCli(['wal', 'push', TIMELINE_REF, '--create', ...args, '--json'], { repoDir });
}

async function fetchTimelineStatus(cluster: LocalCluster, id: number): Promise<Response> {
  const config = await cluster.loadConfig();
  const sk = config.safekeepers.find((entry) => entry.id === id);
  assert.ok(sk, `no safekeeper ${id}`);
  return fetch(`http://127.0.0.1:${sk.httpPort}/v1/tenant/${TENANT}/timeline/${TIMELINE}`);
}

export async function timelineStatus(cluster: LocalCluster, id: number): Promise<TimelineStatus> {
  const response = await fetchTimelineStatus(cluster, id);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as TimelineStatus;
}

/**
 * Waits until safekeeper `id` has flushed the timeline's WAL beyond `lsn` (0: any WAL; the
 * timeline may not exist yet): a fault injected after this lands while a push is streaming to it.
 */
export async function waitForFlushBeyond(
  cluster: LocalCluster,
  id: number,
  lsn: Lsn,
): Promise<void> {
  const reached = await pollUntil(
    async () => {
      const response = await fetchTimelineStatus(cluster, id);
      if (response.status !== 200) {
        await response.body?.cancel();
        return undefined;
      }
      const status = (await response.json()) as TimelineStatus;
      return parseLsn(status.flush_lsn) > lsn ? true : undefined;
    },
    { timeoutMs: FLUSH_WAIT_TIMEOUT_MS, intervalMs: 20 },
  );
  assert.ok(reached, `safekeeper ${id} flushed nothing beyond ${formatLsn(lsn)} in time`);
}

export function timelineDir(cluster: LocalCluster, id: number): string {
  return join(cluster.layout.safekeeper(id as NodeId).dataDir, TENANT, TIMELINE);
}

/** Segment files of a safekeeper's timeline: name (without .partial) -> contents. */
export async function segmentsOf(cluster: LocalCluster, id: number): Promise<Map<string, Buffer>> {
  const dir = timelineDir(cluster, id);
  const segments = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).sort()) {
    if (/^[0-9A-F]{24}(\.partial)?$/.test(name))
      segments.set(name.replace('.partial', ''), await readFile(join(dir, name)));
  }
  return segments;
}

/** The WAL bytes [fromLsn, toLsn) as one safekeeper holds them (16 MiB segments). */
export function walBytes(
  segments: ReadonlyMap<string, Buffer>,
  fromLsn: Lsn,
  toLsn: Lsn,
  segmentSizeBytes = 16 * 1024 * 1024,
): Buffer {
  const parts: Buffer[] = [];
  for (let lsn = fromLsn; lsn < toLsn;) {
    const segno = lsn / BigInt(segmentSizeBytes);
    const name = segmentFileName(segno, segmentSizeBytes);
    const segment = segments.get(name);
    assert.ok(segment, `segment ${name} is missing`);
    const offset = Number(lsn % BigInt(segmentSizeBytes));
    const end = Math.min(segmentSizeBytes, offset + Number(toLsn - lsn));
    assert.ok(segment.length >= end, `segment ${name} holds ${segment.length} bytes, not ${end}`);
    parts.push(segment.subarray(offset, end));
    lsn += BigInt(end - offset);
  }
  return Buffer.concat(parts);
}

/** Every safekeeper listed holds byte-identical WAL in [fromLsn, toLsn). */
export async function assertIdenticalWal(
  cluster: LocalCluster,
  ids: readonly number[],
  fromLsn: Lsn,
  toLsn: Lsn,
): Promise<void> {
  const [first, ...others] = ids;
  assert.ok(first !== undefined);
  const reference = walBytes(await segmentsOf(cluster, first), fromLsn, toLsn);
  assert.equal(reference.length, Number(toLsn - fromLsn));
  for (const id of others) {
    const bytes = walBytes(await segmentsOf(cluster, id), fromLsn, toLsn);
    assert.equal(bytes.length, reference.length, `safekeeper ${id} holds as much WAL as ${first}`);
    const differsAt = reference.findIndex((byte, index) => bytes[index] !== byte);
    assert.equal(differsAt, -1, `safekeeper ${id} differs from ${first} at offset ${differsAt}`);
  }
}

export function lsn(text: string): Lsn {
  return parseLsn(text);
}
