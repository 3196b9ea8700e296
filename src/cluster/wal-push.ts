// `wal push`: generate genuine PostgreSQL 15 WAL and push it to the cluster's safekeepers as a
// walproposer does, returning once all of it is committed by a quorum. A push on a timeline that
// already has WAL continues it in a new term. The timeline's system id and segment size come
// from the safekeepers that know them; a timeline nobody has seen gets a new system id.
import { AppError } from '../common/errors.js';
import type { NodeId } from '../common/ids.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';
import { formatDurationMs, formatSizeBytes } from '../common/units.js';
import { pushGeneratedWal, type PushProgress } from '../walproposer/push-generated-wal.js';
import { noSafekeeperRuns, timelineNotFound, type TimelineRef } from './cluster-timelines.js';
import { LOOPBACK_HOST } from './process/ports.js';
import {
  askSafekeepers,
  describeFailures,
  safekeeperProcessState,
  type SafekeeperAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';

export interface WalPushRequest {
  readonly timeline: TimelineRef;
  readonly sizeBytes: number;
  readonly recordSizeBytes: number;
  readonly rateBytesPerSecond?: number;
  readonly timeoutMs: number;
  /** For a timeline no safekeeper knows yet. */
  readonly segmentSizeBytes: number;
  /** Push into a timeline that no safekeeper knows (else that is refused: a typo, likely). */
  readonly create?: boolean;
  readonly onEvent?: (message: string) => void;
  /** Called every PROGRESS_INTERVAL_MS while WAL streams. */
  readonly onProgress?: (progress: PushProgress) => void;
}

export type { PushProgress };

export interface WalPushResult {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly term: number;
  readonly start_lsn: string;
  readonly end_lsn: string;
  readonly commit_lsn: string;
  /** The highest remote_consistent_lsn the safekeepers reported (pageserver feedback), 0/0 if none. */
  readonly remote_consistent_lsn: string;
  readonly bytes: number;
  /** The whole push, start to finish. */
  readonly duration_ms: number;
  /** Of it, waiting for a quorum of safekeepers to elect the proposer. */
  readonly quorum_wait_ms: number;
  /** Of it, streaming: from the election until a quorum committed the last byte. */
  readonly streaming_ms: number;
  /** The streaming rate: bytes over streaming_ms. */
  readonly mib_per_second: number;
  /**
   * Per safekeeper: the end of the WAL it acknowledged in this term (null: none), and, when that
   * is short of end_lsn, why (paused, down, or behind: the rest of the quorum went on without it).
   */
  readonly safekeepers: readonly {
    readonly id: number;
    readonly flush_lsn: string | null;
    readonly missing: string | null;
  }[];
}

export async function pushWal(set: SafekeeperSet, request: WalPushRequest): Promise<WalPushResult> {
  const startedAtMs = Date.now();
  const config = set.config;
  checkRateFitsTimeout(request);
  const server = await timelineServerInfo(set, request.timeline, request.create ?? false);
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
    request.onProgress,
  );
  const { election, endLsn } = pushed;
  const safekeepers = await Promise.all(
    config.safekeepers.map(async (sk, index) => {
      const flushLsn = pushed.acknowledgedFlushLsns[index];
      return {
        id: sk.id,
        flush_lsn: flushLsn === undefined ? null : formatLsn(flushLsn),
        missing:
          flushLsn !== undefined && flushLsn >= endLsn
            ? null
            : await whyNotAcknowledged(set, sk.id, flushLsn),
      };
    }),
  );
  const durationMs = Date.now() - startedAtMs;
  const bytes = Number(endLsn - election.epochStartLsn);
  return {
    tenant_id: request.timeline.tenantId,
    timeline_id: request.timeline.timelineId,
    term: Number(election.term),
    start_lsn: formatLsn(election.epochStartLsn),
    end_lsn: formatLsn(endLsn),
    commit_lsn: formatLsn(pushed.commitLsn),
    remote_consistent_lsn: formatLsn(pushed.remoteConsistentLsn),
    bytes,
    duration_ms: durationMs,
    quorum_wait_ms: Math.round(pushed.electionMs),
    streaming_ms: Math.round(pushed.streamingMs),
    mib_per_second:
      Math.round((bytes / 1048576 / Math.max(pushed.streamingMs, 1)) * 1000 * 10) / 10,
    safekeepers,
  };
}

/** Why a safekeeper did not acknowledge the whole push, from its process state. */
async function whyNotAcknowledged(
  set: SafekeeperSet,
  id: NodeId,
  flushLsn: Lsn | undefined,
): Promise<string> {
  const state = await safekeeperProcessState(set, id);
  if (state === 'paused') return 'paused (SIGSTOP): it answered nothing';
  if (state === 'down') return 'not running';
  return flushLsn === undefined
    ? 'not in this term: the quorum went on without it'
    : `behind: acknowledged up to ${formatLsn(flushLsn)} when the quorum committed`;
}

/** At --rate the push needs size/rate seconds: a --timeout shorter than that is exit 7 at once. */
function checkRateFitsTimeout(request: WalPushRequest): void {
  const rate = request.rateBytesPerSecond;
  if (rate === undefined) return;
  const neededMs = (request.sizeBytes / rate) * 1000;
  if (neededMs <= request.timeoutMs) return;
  throw new AppError(
    'timed-out',
    `pushing ${formatSizeBytes(request.sizeBytes)} at ${formatSizeBytes(rate)}/s takes ${formatDurationMs(neededMs)}, longer than the timeout of ${formatDurationMs(request.timeoutMs)}`,
    { hints: ['Raise --timeout, raise --rate or push less with --size.'] },
  );
}

/**
 * The system id and segment size the safekeepers hold for the timeline. Refuses when nothing of
 * the cluster runs, and when no safekeeper that answered knows the timeline unless `create`.
 */
async function timelineServerInfo(
  set: SafekeeperSet,
  timeline: TimelineRef,
  create: boolean,
): Promise<{ systemId: bigint; segmentSizeBytes: number | undefined }> {
  const answers = await askSafekeepers(set, (client) =>
    client.timelineStatus(timeline.tenantId, timeline.timelineId),
  );
  if (answers.every((answer) => answer.state === 'down')) throw noSafekeeperRuns();
  if (!create && !answers.some((answer) => answer.state === 'ok'))
    throw unknownTimeline(timeline, answers);
  const systemIds = new Set<string>();
  let segmentSizeBytes: number | undefined;
  for (const { result: status } of answers) {
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

function unknownTimeline(
  timeline: TimelineRef,
  answers: readonly SafekeeperAnswer<unknown>[],
): AppError {
  const name = `${timeline.tenantId}/${timeline.timelineId}`;
  const unanswered = answers.filter((answer) => answer.error?.code !== 'not-found');
  if (unanswered.length === answers.length)
    return new AppError(
      'unavailable',
      `could not ask any safekeeper about ${name}: ${describeFailures(answers)}`,
      {
        hints: ['See `neon_local status`.'],
      },
    );
  return timelineNotFound(name, answers, [
    'Check the id with `neon_local sk timeline list`.',
    'Create it with `neon_local sk timeline create`, or pass --create to make it with this push.',
  ]);
}

/** A new system id the way initdb makes one: seconds, microseconds and the pid. */
function newSystemId(): bigint {
  const nowMicros = BigInt(Date.now()) * 1000n;
  const seconds = nowMicros / 1_000_000n;
  const micros = nowMicros % 1_000_000n;
  return (seconds << 32n) | (micros << 12n) | BigInt(process.pid & 0xfff);
}
