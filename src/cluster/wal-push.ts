// `wal push`: generate genuine PostgreSQL 15 WAL and push it to the cluster's safekeepers as a
// walproposer does, returning once all of it is committed by a quorum. A push on a timeline that
// already has WAL continues it in a new term. The timeline's system id and segment size come
// from the safekeepers that know them; a timeline nobody has seen gets a new system id.
import { AppError } from '../common/errors.js';
import { formatLsn } from '../postgres/lsn.js';
import { pushGeneratedWal } from '../walproposer/push-generated-wal.js';
import type { ClusterConfig } from './config.js';
import { clientFor, type TimelineRef } from './cluster-timelines.js';
import { LOOPBACK_HOST } from './process/ports.js';

export interface WalPushRequest {
  readonly timeline: TimelineRef;
  readonly sizeBytes: number;
  readonly recordSizeBytes: number;
  readonly rateBytesPerSecond?: number;
  readonly timeoutMs: number;
  /** For a timeline no safekeeper knows yet. */
  readonly segmentSizeBytes: number;
  readonly onEvent?: (message: string) => void;
}

export interface WalPushResult {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly term: number;
  readonly start_lsn: string;
  readonly end_lsn: string;
  readonly commit_lsn: string;
  readonly bytes: number;
  readonly duration_ms: number;
  readonly mib_per_second: number;
}

const STATUS_TIMEOUT_MS = 2_000;

export async function pushWal(
  config: ClusterConfig,
  request: WalPushRequest,
): Promise<WalPushResult> {
  const startedAtMs = Date.now();
  const server = await timelineServerInfo(config, request.timeline);
  const pushed = await pushGeneratedWal(
    {
      ...request.timeline,
      systemId: server.systemId,
      segmentSizeBytes: server.segmentSizeBytes ?? request.segmentSizeBytes,
      safekeepers: config.safekeepers.map((sk) => ({
        id: sk.id,
        host: LOOPBACK_HOST,
        port: sk.pgPort,
      })),
      ...(request.onEvent === undefined ? {} : { onEvent: request.onEvent }),
    },
    {
      recordSizeBytes: request.recordSizeBytes,
      totalBytes: request.sizeBytes,
      rateBytesPerSecond: request.rateBytesPerSecond,
    },
    startedAtMs + request.timeoutMs,
  );
  const { election, endLsn } = pushed;
  const durationMs = Date.now() - startedAtMs;
  const bytes = Number(endLsn - election.epochStartLsn);
  return {
    tenant_id: request.timeline.tenantId,
    timeline_id: request.timeline.timelineId,
    term: Number(election.term),
    start_lsn: formatLsn(election.epochStartLsn),
    end_lsn: formatLsn(endLsn),
    commit_lsn: formatLsn(pushed.commitLsn),
    bytes,
    duration_ms: durationMs,
    mib_per_second: Math.round((bytes / 1048576 / Math.max(durationMs, 1)) * 1000 * 10) / 10,
  };
}

/** The system id and segment size the safekeepers hold for the timeline (asked over HTTP). */
async function timelineServerInfo(
  config: ClusterConfig,
  timeline: TimelineRef,
): Promise<{ systemId: bigint; segmentSizeBytes: number | undefined }> {
  const statuses = await Promise.all(
    config.safekeepers.map((sk) =>
      clientFor(config, sk.id, STATUS_TIMEOUT_MS)
        .timelineStatus(timeline.tenantId, timeline.timelineId)
        .catch(() => undefined),
    ),
  );
  const systemIds = new Set<string>();
  let segmentSizeBytes: number | undefined;
  for (const status of statuses) {
    const systemId = status?.server.system_id;
    if (systemId !== undefined && systemId !== '0') systemIds.add(systemId);
    segmentSizeBytes ||= status?.server.wal_seg_size || undefined;
  }
  if (systemIds.size > 1)
    throw new AppError(
      'integrity',
      `the safekeepers disagree on the system id of ${timeline.tenantId}/${timeline.timelineId}: ${[...systemIds].join(', ')}`,
    );
  const [known] = systemIds;
  return { systemId: known === undefined ? newSystemId() : BigInt(known), segmentSizeBytes };
}

/** A new system id the way initdb makes one: seconds, microseconds and the pid. */
function newSystemId(): bigint {
  const nowMicros = BigInt(Date.now()) * 1000n;
  const seconds = nowMicros / 1_000_000n;
  const micros = nowMicros % 1_000_000n;
  return (seconds << 32n) | (micros << 12n) | BigInt(process.pid & 0xfff);
}
