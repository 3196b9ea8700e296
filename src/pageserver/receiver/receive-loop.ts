// The receive loop of one timeline (a supervised task): choose a source from the last discovery
// round, stream from it until the connection ends or a better source appears, and start over;
// it never throws. A safekeeper whose connection failed is passed over for
// SOURCE_FAILURE_PENALTY_MS; attempts that fail back off from RECONNECT_BACKOFF_MIN_MS to
// RECONNECT_BACKOFF_MAX_MS. A broken timeline stops streaming until the daemon restarts.
import { describeError, isAppError } from '../../common/errors.js';
import type { NodeId } from '../../common/ids.js';
import { formatLsn } from '../../postgres/lsn.js';
import { DEFAULT_SEGMENT_SIZE_BYTES } from '../../postgres/segment-name.js';
import type { PageserverTimeline } from '../timeline/pageserver-timeline.js';
import { RECONNECT_BACKOFF_MAX_MS, RECONNECT_BACKOFF_MIN_MS } from '../limits.js';
import type { SourcePenalties } from './source-penalties.js';
import { chooseSource, type SourceChoice } from './source-selection.js';
import { WalStream } from './wal-stream.js';

/** How long the loop waits for a discovery round when no source can be chosen. */
const NO_SOURCE_WAIT_MS = 1000;

/**
 * The choice for `timeline` now, passing over penalized safekeepers; a source more than one
 * segment behind the best is left.
 */
export function currentChoice(
  timeline: PageserverTimeline,
  currentId: NodeId | undefined,
): SourceChoice {
  const penalties = timeline.penalties;
  const segmentSizeBytes = timeline.segmentSizeBytes;
  return chooseSource({
    candidates: timeline.candidates.filter(
      (candidate) => !penalties.isPenalized(candidate.safekeeperId),
    ),
    currentId,
    resumeLsn: timeline.wal?.receivedLsn,
    segmentSizeBytes,
    lagThresholdBytes: BigInt(segmentSizeBytes ?? DEFAULT_SEGMENT_SIZE_BYTES),
  });
}

export async function runReceiveLoop(
  timeline: PageserverTimeline,
  signal: AbortSignal,
): Promise<void> {
  const penalties = timeline.penalties;
  let backoffMs = RECONNECT_BACKOFF_MIN_MS;
  while (!signal.aborted && !timeline.isBroken) {
    const choice = currentChoice(timeline, undefined);
    if (choice.kind !== 'switch') {
      timeline.status = 'no-safekeeper';
      timeline.clearSource();
      await timeline.waitForWake(NO_SOURCE_WAIT_MS, signal);
      continue;
    }
    const candidate = choice.to;
    const endpoint = timeline.deps.endpoints.find((entry) => entry.id === candidate.safekeeperId);
    if (endpoint === undefined) {
      penalties.penalize(candidate.safekeeperId);
      continue;
    }
    timeline.status = 'connecting';
    let stream: WalStream | undefined;
    try {
      const wal = await timeline.ensureWal(choice.startLsn, candidate.segmentSizeBytes);
      const startLsn = wal.rewind();
      stream = await WalStream.open({
        endpoint,
        tenantId: timeline.tenantId,
        timelineId: timeline.timelineId,
        startLsn,
        sink: timeline,
        signal,
      });
      const opened = stream;
      const onAbort = (): void => opened.close();
      signal.addEventListener('abort', onAbort, { once: true });
      timeline.attachStream(stream, candidate.safekeeperId);
      timeline.log.info(
        { source: candidate.safekeeperId, startLsn: formatLsn(startLsn), reason: choice.reason },
        'streaming from safekeeper',
      );
      backoffMs = RECONNECT_BACKOFF_MIN_MS;
      const error = await stream.ended;
      signal.removeEventListener('abort', onAbort);
      timeline.detachStream();
      if (error !== undefined) {
        noteFailure(timeline, candidate.safekeeperId, error, penalties);
        await timeline.waitForWake(backoffMs, signal);
      }
    } catch (error) {
      timeline.detachStream();
      noteFailure(timeline, candidate.safekeeperId, error, penalties);
      await timeline.waitForWake(backoffMs, signal);
      backoffMs = Math.min(backoffMs * 2, RECONNECT_BACKOFF_MAX_MS);
    }
  }
  // A supervised task must not end while the daemon runs: a broken timeline waits here.
  while (!signal.aborted) await timeline.waitForWake(NO_SOURCE_WAIT_MS, signal);
}

function noteFailure(
  timeline: PageserverTimeline,
  sourceId: NodeId,
  error: unknown,
  penalties: SourcePenalties,
): void {
  const message = describeError(error);
  if (isAppError(error) && error.code === 'integrity') {
    timeline.markBroken(error);
    return;
  }
  if (timeline.isBroken) return;
  timeline.lastError = `safekeeper ${sourceId}: ${message}`;
  penalties.penalize(sourceId);
  timeline.log.warn({ source: sourceId, err: message }, 'replication from safekeeper ended');
}
