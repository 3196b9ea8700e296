// The timeline operations of the programmatic API (LocalCluster.createTimeline, listTimelines,
// timelineStatus, pushWal) with the CLI's defaults, for test authors: a partial failure is an
// AppError naming each safekeeper, never a silently shorter answer. Loaded on first use.
import { generateHexId, parseTenantId, parseTimelineId } from '../common/hex-id.js';
import type { NodeId } from '../common/ids.js';
import { DEFAULT_SEGMENT_SIZE_BYTES } from '../postgres/segment-name.js';
import type { TimelineListEntry, TimelineStatus } from '../protocol/timeline-status.js';
import {
  createTimelineOnSafekeepers,
  listTimelinesOnSafekeepers,
  resolveTimelineRef,
  type TimelineRef,
} from './cluster-timelines.js';
import {
  clientFor,
  partialAnswerError,
  type SafekeeperAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';
import { tellPageserver, type PageserverNotice } from './pageserver-ops.js';
import { pushWal, type WalPushRequest, type WalPushResult } from './wal-push.js';

/** `wal push`'s defaults: 64 MiB in 8 KiB records within 60 s, no rate limit. */
export const PUSH_DEFAULTS = {
  sizeBytes: 64 * 1024 * 1024,
  recordSizeBytes: 8 * 1024,
  timeoutMs: 60_000,
  segmentSizeBytes: DEFAULT_SEGMENT_SIZE_BYTES,
} as const;

export interface CreateTimelineOptions {
  /** 32 lower-case hex characters; generated when omitted. */
  readonly tenantId?: string;
  readonly timelineId?: string;
  readonly segmentSizeBytes?: number;
  /** Only on these safekeepers (all by default). */
  readonly safekeepers?: readonly NodeId[];
}

export interface CreatedTimeline extends TimelineRef {
  /** `TENANT/TIMELINE`, as `wal push` and the other commands take it. */
  readonly ref: string;
  readonly safekeepers: readonly SafekeeperAnswer<TimelineStatus>[];
  /** How telling the pageserver went (null: the cluster runs none). */
  readonly pageserver: PageserverNotice;
}

export async function createTimeline(
  set: SafekeeperSet,
  options: CreateTimelineOptions,
): Promise<CreatedTimeline> {
  const tenantId = parseTenantId(options.tenantId ?? generateHexId());
  const timelineId = parseTimelineId(options.timelineId ?? generateHexId());
  const request = {
    tenant_id: tenantId,
    timeline_id: timelineId,
    wal_seg_size: options.segmentSizeBytes ?? DEFAULT_SEGMENT_SIZE_BYTES,
  };
  const answers = await createTimelineOnSafekeepers(set, request, options.safekeepers);
  const problem = partialAnswerError(answers, `creating timeline ${tenantId}/${timelineId}`);
  if (problem !== undefined) throw problem;
  const pageserver = await tellPageserver(set, { tenantId, timelineId });
  return {
    tenantId,
    timelineId,
    ref: `${tenantId}/${timelineId}`,
    safekeepers: answers,
    pageserver,
  };
}

/** Every safekeeper's timelines; throws when one did not answer. */
export async function listTimelines(
  set: SafekeeperSet,
): Promise<SafekeeperAnswer<TimelineListEntry[]>[]> {
  const answers = await listTimelinesOnSafekeepers(set);
  const problem = partialAnswerError(answers, 'listing timelines');
  if (problem !== undefined) throw problem;
  return answers;
}

/** One safekeeper's status document of TIMELINE (`TENANT/TIMELINE` or a bare timeline id). */
export async function timelineStatus(
  set: SafekeeperSet,
  timeline: string,
  id: NodeId,
): Promise<TimelineStatus> {
  const ref = await resolveTimelineRef(set, timeline);
  return clientFor(set.config, id).timelineStatus(ref.tenantId, ref.timelineId);
}

export type PushWalOptions = Partial<Omit<WalPushRequest, 'timeline'>>;

/** `wal push TIMELINE` with the CLI's defaults for whatever `options` leaves out. */
export async function pushWalWithDefaults(
  set: SafekeeperSet,
  timeline: string,
  options: PushWalOptions,
): Promise<WalPushResult> {
  const ref = await resolveTimelineRef(set, timeline);
  return pushWal(set, { ...PUSH_DEFAULTS, ...options, timeline: ref });
}
