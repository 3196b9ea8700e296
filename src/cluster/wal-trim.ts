// `sk timeline trim`: per safekeeper, what WAL removal may take now (the complete local segments
// below its horizon: only what the pageserver, the peers and S3 have all consumed) and, unless a
// dry run, asking each to remove it (POST .../checkpoint; the safekeeper never goes past its
// horizon, whatever is asked). When nothing may go anywhere, the error names what holds each
// safekeeper back and the command that would unblock it.
import { AppError } from '../common/errors.js';
import { sleepMs } from '../common/deadline.js';
import type { NodeId } from '../common/ids.js';
import { parseSegmentFileName, segmentFileName } from '../postgres/segment-name.js';
import type { TimelineStatus, WalRemovalDocument } from '../protocol/timeline-status.js';
import type { TimelineRef } from './cluster-timelines.js';
import {
  askSafekeepers,
  partialAnswerError,
  type SafekeeperAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';

/** Removal may take a while for many segments (one unlink per lock hold). */
const TRIM_DEADLINE_MS = 10_000;

export interface SegmentRange {
  readonly first: string;
  readonly last: string;
  readonly count: number;
  readonly bytes: number;
}

export interface SafekeeperTrim {
  readonly id: NodeId;
  /** What may be removed now (null: nothing). */
  readonly removable: SegmentRange | null;
  /** What was removed (null: nothing, or a dry run). */
  readonly removed: SegmentRange | null;
  readonly horizon_lsn: string;
  /** The consumer holding the horizon back, in words; null when it removes something. */
  readonly blocked_by: string | null;
  /** What would unblock it; null when nothing needs doing. */
  readonly unblock: string | null;
  readonly pinned_bytes: number;
}

export interface TrimResult {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly dry_run: boolean;
  readonly safekeepers: readonly SafekeeperTrim[];
  /** Safekeepers that did not answer (down, paused, an error). */
  readonly failures: readonly SafekeeperAnswer<unknown>[];
}

/** The complete local segments below the horizon, from the status document. */
export function removableRange(status: TimelineStatus): SegmentRange | null {
  const segmentSizeBytes = status.server.wal_seg_size;
  const { first } = status.local_segments;
  const below = status.horizon.removable_before;
  if (segmentSizeBytes === 0 || first === null || below === null) return null;
  const firstSegno = parseSegmentFileName(first, segmentSizeBytes)?.segno;
  const belowSegno = parseSegmentFileName(below, segmentSizeBytes)?.segno;
  if (firstSegno === undefined || belowSegno === undefined || belowSegno <= firstSegno) return null;
  const count = Number(belowSegno - firstSegno);
  return {
    first,
    last: segmentFileName(belowSegno - 1n, segmentSizeBytes),
    count,
    bytes: count * segmentSizeBytes,
  };
}

/** What holds a safekeeper's horizon back, and what to run about it. */
export function blockerOf(
  status: TimelineStatus,
  ref: string,
  pageserverEnabled: boolean,
): { blockedBy: string; unblock: string | null } {
  const horizon = status.horizon;
  if (horizon.pinned_bytes === 0)
    return {
      blockedBy: 'nothing: what was consumed is removed already',
      unblock: null,
    };
  switch (horizon.limited_by) {
    case 'remote_consistent_lsn':
      return pageserverEnabled
        ? {
            blockedBy: `the pageserver (remote_consistent_lsn ${horizon.inputs.remote_consistent_lsn})`,
            unblock: `neon_local pageserver checkpoint ${ref} --wait`,
          }
        : {
            blockedBy: `the pageserver: this cluster runs none, so remote_consistent_lsn stays at ${horizon.inputs.remote_consistent_lsn}`,
            unblock: 'set [pageserver] enabled = true in the config and run neon_local start',
          };
    case 'backup_lsn':
      return {
        blockedBy: `S3 (backup_lsn ${horizon.inputs.backup_lsn ?? '0/0'})`,
        unblock: `neon_local sk timeline offload ${ref} --wait`,
      };
    case 'peer_horizon_lsn':
      return {
        blockedBy: `a peer safekeeper (peer_horizon_lsn ${horizon.inputs.peer_horizon_lsn}: not every safekeeper has the WAL)`,
        unblock: `start any safekeeper that is down (neon_local sk start N), then neon_local wal push ${ref} (the proposer spreads peer_horizon_lsn)`,
      };
  }
}

export async function trimTimeline(
  set: SafekeeperSet,
  ref: TimelineRef,
  options: { readonly dryRun: boolean },
): Promise<TrimResult> {
  const text = `${ref.tenantId}/${ref.timelineId}`;
  const statuses = await askSafekeepers(set, (client) =>
    client.timelineStatus(ref.tenantId, ref.timelineId),
  );
  const removals = options.dryRun
    ? []
    : await askSafekeepers(set, (client) => client.removeWal(ref.tenantId, ref.timelineId), {
        ids: statuses.flatMap((answer) =>
          answer.result !== undefined && removableRange(answer.result) !== null ? [answer.id] : [],
        ),
        deadlineMs: TRIM_DEADLINE_MS,
      });
  const removedBy = new Map<NodeId, WalRemovalDocument>();
  for (const answer of removals)
    if (answer.result !== undefined) removedBy.set(answer.id, answer.result);
  const safekeepers = statuses.flatMap((answer): SafekeeperTrim[] => {
    const status = answer.result;
    if (status === undefined) return [];
    const removable = removableRange(status);
    const blocker =
      removable === null ? blockerOf(status, text, set.config.pageserver.enabled) : undefined;
    return [
      {
        id: answer.id,
        removable,
        removed: removedBy.get(answer.id)?.removed ?? null,
        horizon_lsn: status.horizon.lsn,
        blocked_by: blocker?.blockedBy ?? null,
        unblock: blocker?.unblock ?? null,
        pinned_bytes: status.horizon.pinned_bytes,
      },
    ];
  });
  return {
    tenant_id: ref.tenantId,
    timeline_id: ref.timelineId,
    dry_run: options.dryRun,
    safekeepers,
    failures: [...statuses, ...removals].filter((answer) => answer.state !== 'ok'),
  };
}

/**
 * What the trim's exit says: a safekeeper that did not answer first (exit 6), then exit 5 when
 * nothing may be removed anywhere, naming each one's blocker and what unblocks it.
 */
export function trimProblem(result: TrimResult): AppError | undefined {
  const unblockHints = [
    ...new Set(
      result.safekeepers.flatMap((sk) =>
        sk.removable === null && sk.unblock !== null ? [sk.unblock] : [],
      ),
    ),
  ].map((command) => `Run \`${command}\`.`);
  const partial = partialAnswerError(
    result.failures,
    `trimming ${result.tenant_id}/${result.timeline_id}`,
  );
  // The answering safekeepers' blockers stay in the hints: resuming the silent one is not all.
  if (partial !== undefined)
    return new AppError(partial.code, partial.message, {
      hints: [...partial.hints, ...unblockHints],
    });
  if (result.safekeepers.some((sk) => sk.removable !== null)) return undefined;
  // Everything consumed is gone already: nothing to do is not an error.
  if (result.safekeepers.every((sk) => sk.unblock === null)) return undefined;
  const blockers = result.safekeepers
    .map((sk) => `safekeeper ${sk.id}: held back by ${sk.blocked_by ?? 'nothing'}`)
    .join('; ');
  return new AppError('wrong-state', `nothing to trim: ${blockers}`, { hints: unblockHints });
}

/**
 * `trim --wait`: confirms on each safekeeper that removed something that its files below the
 * removed range are gone (the first local segment is past it), re-reading its status until
 * `timeoutMs`; the timed-out error names the safekeepers that still hold them.
 */
export async function confirmTrimmed(
  set: SafekeeperSet,
  result: TrimResult,
  timeoutMs: number,
): Promise<AppError | undefined> {
  const pending = new Map(
    result.safekeepers.flatMap((sk) =>
      sk.removed === null ? [] : ([[sk.id, sk.removed.last]] as const),
    ),
  );
  const deadlineAtMs = Date.now() + timeoutMs;
  for (;;) {
    const answers = await askSafekeepers(
      set,
      (client) => client.timelineStatus(result.tenant_id, result.timeline_id),
      { ids: [...pending.keys()] },
    );
    for (const answer of answers) {
      const first = answer.result?.local_segments.first;
      const last = pending.get(answer.id);
      if (
        answer.result !== undefined &&
        last !== undefined &&
        (first === null || (first ?? '') > last)
      )
        pending.delete(answer.id);
    }
    if (pending.size === 0) return undefined;
    if (Date.now() >= deadlineAtMs)
      return new AppError(
        'timed-out',
        `the removed segments are still on safekeeper ${[...pending.keys()].join(', ')}`,
      );
    await sleepMs(CONFIRM_POLL_MS);
  }
}

const CONFIRM_POLL_MS = 200;
