// Drives a WalProposer against benchmark safekeepers: genuine WAL (8 KiB logical-message
// records from the encoder) pushed on a fresh timeline per measurement, `wal push`'s way or one
// record at a time. Only the appends and commit waits are timed; the timeline is deleted after.
import { generateHexId, type TenantId, type TimelineId } from '../../src/common/hex-id.js';
import type { Lsn } from '../../src/postgres/lsn.js';
import { WalEncoder } from '../../src/postgres/wal/wal-encoder.js';
import { MAX_UNCOMMITTED_BYTES } from '../../src/walproposer/push-generated-wal.js';
import { WalProposer, type Election } from '../../src/walproposer/walproposer.js';
import { MIB } from '../helpers/wal.js';
import { splitIntoChunks } from './bench-helpers.js';
import { deleteTimeline, endpointsOf, type BenchSafekeeper } from './bench-safekeepers.js';

export const SEGMENT_BYTES = 16 * MIB;
export const RECORD_BYTES = 8 * 1024;
/** Appends are whole records, at most this many bytes (the proposer's AppendRequest size). */
export const APPEND_BYTES = 128 * 1024;
const SYSTEM_ID = 7_400_000_000_000_000_001n;
const ELECT_TIMEOUT_MS = 10_000;
const MEASUREMENT_TIMEOUT_MS = 60_000;
const SETTLE_TIMEOUT_MS = 5_000;

const tenantId = generateHexId() as TenantId;

/** Where a term's WAL starts: an LSN on a record boundary and the record before it. */
export interface WalStart {
  readonly startLsn: Lsn;
  readonly prevRecordLsn: Lsn;
}

function newEncoder(from: WalStart): WalEncoder {
  return new WalEncoder({
    startLsn: from.startLsn,
    prevRecordLsn: from.prevRecordLsn,
    systemId: SYSTEM_ID,
    segmentSizeBytes: SEGMENT_BYTES,
  });
}

function startOf(election: Election): WalStart {
  return { startLsn: election.epochStartLsn, prevRecordLsn: election.prevRecordLsn };
}

/** `totalBytes` of 8 KiB records from the election's start, grouped into appends. */
export function encodeAppends(
  from: WalStart,
  totalBytes: number,
): { appends: Buffer[]; endLsn: Lsn } {
  const encoder = newEncoder(from);
  const appends: Buffer[] = [];
  let parts: Buffer[] = [];
  let partBytes = 0;
  for (let produced = 0; produced < totalBytes;) {
    const { bytes } = encoder.appendLogicalMessageOfSize(RECORD_BYTES);
    if (partBytes + bytes.length > APPEND_BYTES && parts.length > 0) {
      appends.push(Buffer.concat(parts));
      parts = [];
      partBytes = 0;
    }
    parts.push(bytes);
    partBytes += bytes.length;
    produced += bytes.length;
  }
  if (parts.length > 0) appends.push(Buffer.concat(parts));
  return { appends, endLsn: encoder.currentLsn };
}

/** The same WAL cut into exact APPEND_BYTES chunks, for the plain writer. */
export function chunksOf(appends: readonly Buffer[]): Buffer[] {
  return splitIntoChunks(Buffer.concat(appends), APPEND_BYTES);
}

/**
 * Elects a proposer on a fresh timeline, runs `measure`, lets every acceptor catch up (so that
 * nothing spills into the next measurement), and deletes the timeline.
 */
async function onFreshTimeline<T>(
  safekeepers: readonly BenchSafekeeper[],
  measure: (proposer: WalProposer, election: Election) => Promise<T>,
): Promise<T> {
  const timelineId = generateHexId() as TimelineId;
  const proposer = new WalProposer({
    tenantId,
    timelineId,
    systemId: SYSTEM_ID,
    segmentSizeBytes: SEGMENT_BYTES,
    safekeepers: endpointsOf(safekeepers),
  });
  try {
    const election = await proposer.elect(Date.now() + ELECT_TIMEOUT_MS);
    const result = await measure(proposer, election);
    await proposer.announceCommit(Date.now() + SETTLE_TIMEOUT_MS);
    return result;
  } finally {
    proposer.close();
    await deleteTimeline(safekeepers, tenantId, timelineId);
  }
}

/** Seconds from the first append until a quorum flushed all of it, `wal push`'s way. */
export async function pushSeconds(
  safekeepers: readonly BenchSafekeeper[],
  bytes: number,
): Promise<number> {
  return onFreshTimeline(safekeepers, async (proposer, election) => {
    const { appends, endLsn } = encodeAppends(startOf(election), bytes);
    const deadlineMs = Date.now() + MEASUREMENT_TIMEOUT_MS;
    const startedAt = performance.now();
    for (const append of appends) {
      await proposer.waitForRoom(MAX_UNCOMMITTED_BYTES, deadlineMs);
      proposer.append(append);
    }
    await proposer.waitForCommit(endLsn, deadlineMs);
    return (performance.now() - startedAt) / 1000;
  });
}

/** One 8 KiB record at a time: ms from its append until a quorum flushed it. */
export async function commitLatenciesMs(
  safekeepers: readonly BenchSafekeeper[],
  warmupCount: number,
  measuredCount: number,
): Promise<number[]> {
  return onFreshTimeline(safekeepers, async (proposer, election) => {
    const encoder = newEncoder(startOf(election));
    const deadlineMs = Date.now() + MEASUREMENT_TIMEOUT_MS;
    const durationsMs: number[] = [];
    for (let index = 0; index < warmupCount + measuredCount; index++) {
      const record = encoder.appendLogicalMessageOfSize(RECORD_BYTES);
      const startedAt = performance.now();
      proposer.append(record.bytes);
      await proposer.waitForCommit(record.endLsn, deadlineMs);
      if (index >= warmupCount) durationsMs.push(performance.now() - startedAt);
    }
    return durationsMs;
  });
}
