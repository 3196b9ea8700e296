// The safekeeper of the WAL service fuzz test: a timeline with genuine committed WAL pushed by
// an in-process walproposer, its status over HTTP (and when it has settled: no compute
// connected, every in-memory LSN persisted), what the fuzz cases need to know about it, and the
// check that the daemon still serves (alive, HTTP, IDENTIFY_SYSTEM on a fresh connection).
import assert from 'node:assert/strict';
import { pollUntil } from '../../src/common/deadline.js';
import { parseTenantId, parseTimelineId } from '../../src/common/hex-id.js';
import { formatLsn, parseLsn, type Lsn } from '../../src/postgres/lsn.js';
import { WireClient } from '../../src/postgres/wire/wire-client.js';
import { pushGeneratedWal } from '../../src/walproposer/push-generated-wal.js';
import type { RunningSafekeeper } from './safekeeper.js';
import { MIB, TEST_SYSTEM_ID } from './wal.js';
import type { FuzzTarget } from './wire-fuzz-frames.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';

export const TENANT = parseTenantId('f022f022f022f022f022f022f022f022');
export const TIMELINE = parseTimelineId('0b5e55ed0b5e55ed0b5e55ed0b5e55ed');
const SEGMENT_BYTES = 16 * MIB;
const PUSH_BYTES = 2 * MIB;
const RECORD_BYTES = 8192;
const PUSH_TIMEOUT_MS = 30_000;
/** Bounds every request of these checks (HTTP, the wire connection). */
const REQUEST_TIMEOUT_MS = 5_000;
const SETTLE_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 50;

/** A walproposer elected by the one safekeeper pushes genuine WAL until all of it is committed. */
export async function pushCommittedWal(pgPort: number): Promise<Lsn> {
  const pushed = await pushGeneratedWal(
    {
      tenantId: TENANT,
      timelineId: TIMELINE,
      systemId: TEST_SYSTEM_ID,
      segmentSizeBytes: SEGMENT_BYTES,
      safekeepers: [{ id: 1, host: '127.0.0.1', port: pgPort }],
    },
    { recordSizeBytes: RECORD_BYTES, totalBytes: PUSH_BYTES },
    Date.now() + PUSH_TIMEOUT_MS,
  );
  return pushed.endLsn;
}

export async function timelineStatus(sk: RunningSafekeeper): Promise<TimelineStatus> {
  const response = await fetch(`${sk.url}/v1/tenant/${TENANT}/timeline/${TIMELINE}`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as TimelineStatus;
}

/** The status once no compute is connected and every in-memory LSN reached the control file. */
export async function settledStatus(sk: RunningSafekeeper): Promise<TimelineStatus> {
  const isSettled = (status: TimelineStatus): boolean =>
    !status.active &&
    status.persisted.commit_lsn === status.commit_lsn &&
    status.persisted.backup_lsn === status.backup_lsn &&
    status.persisted.peer_horizon_lsn === status.peer_horizon_lsn &&
    status.persisted.remote_consistent_lsn === status.remote_consistent_lsn;
  const settled = await pollUntil(
    async () => {
      const status = await timelineStatus(sk);
      return isSettled(status) ? status : undefined;
    },
    { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: POLL_INTERVAL_MS },
  );
  assert.ok(settled, `the timeline did not settle: ${JSON.stringify(await timelineStatus(sk))}`);
  return settled;
}

export function fuzzTarget(status: TimelineStatus): FuzzTarget {
  return {
    tenantId: TENANT,
    timelineId: TIMELINE,
    absentTenantId: parseTenantId('abe5e7abe5e7abe5e7abe5e7abe5e7ab'),
    absentTimelineId: parseTimelineId('0000000000000000000000000000dead'),
    systemId: BigInt(status.server.system_id),
    pgVersion: status.server.pg_version,
    segmentSizeBytes: status.server.wal_seg_size,
    term: BigInt(status.acceptor_state.term),
    flushLsn: parseLsn(status.flush_lsn),
    localStartLsn: parseLsn(status.local_start_lsn),
    proposerId: status.proposer_uuid,
  };
}

export const TIMELINE_PARAMETERS = { ztenantid: TENANT, ztimelineid: TIMELINE };

/** The IDENTIFY_SYSTEM row of the timeline under test: system id, timeline 1, flush_lsn, NULL. */
export function expectedIdentifyRow(target: FuzzTarget): (string | null)[] {
  return [target.systemId.toString(), '1', formatLsn(target.flushLsn), null];
}

export async function identifySystem(
  sk: RunningSafekeeper,
  parameters: Record<string, string>,
): Promise<(string | null)[][]> {
  const client = await WireClient.connect({
    host: '127.0.0.1',
    port: sk.pgPort,
    parameters,
    connectTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  try {
    const result = await client.simpleQuery('IDENTIFY_SYSTEM');
    assert.deepEqual(
      result.columns.map((column) => column.name),
      ['systemid', 'timeline', 'xlogpos', 'dbname'],
    );
    return result.rows;
  } finally {
    client.close();
  }
}

/** The process runs, answers HTTP, and a fresh connection runs IDENTIFY_SYSTEM. */
export async function assertServing(sk: RunningSafekeeper, target: FuzzTarget): Promise<void> {
  assert.equal(sk.child.exitCode, null, `the safekeeper exited:\n${sk.output().slice(-4000)}`);
  assert.equal(sk.child.signalCode, null);
  const response = await fetch(`${sk.url}/v1/status`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const status = (await response.json()) as { id: number; broker: unknown };
  assert.equal(status.id, 1);
  assert.equal(status.broker, null);
  assert.deepEqual(await identifySystem(sk, TIMELINE_PARAMETERS), [expectedIdentifyRow(target)]);
}
