// Timeline operations across the cluster's safekeepers, over their admin APIs: create a timeline
// on every (or the chosen) safekeeper, list what each one holds, resolve a TIMELINE argument.
// Answers are per safekeeper (safekeeper-fanout.ts), so that a dead or paused one is reported
// exactly and never hides the others; the caller decides the exit code.
import { AppError } from '../common/errors.js';
import {
  isHexId,
  parseTenantId,
  parseTimelineId,
  type TenantId,
  type TimelineId,
} from '../common/hex-id.js';
import type { NodeId } from '../common/ids.js';
import type {
  CreateTimelineRequest,
  TimelineListEntry,
  TimelineStatus,
} from '../client/safekeeper-client.js';
import {
  askSafekeepers,
  describeFailures,
  type SafekeeperAnswer,
  type SafekeeperSet,
} from './safekeeper-fanout.js';

/**
 * A creation is a durable write (the control file, its directory, the first segment, each
 * fsynced): a loaded disk can take longer than the reads' deadline, and a creation reported as
 * not answered while it succeeded would mislead. A paused safekeeper is still known at once.
 */
const CREATE_DEADLINE_MS = 10_000;

export function createTimelineOnSafekeepers(
  set: SafekeeperSet,
  request: CreateTimelineRequest,
  ids?: readonly NodeId[],
): Promise<SafekeeperAnswer<TimelineStatus>[]> {
  return askSafekeepers(set, (client) => client.createTimeline(request), {
    ...(ids === undefined ? {} : { ids }),
    deadlineMs: CREATE_DEADLINE_MS,
  });
}

export function listTimelinesOnSafekeepers(
  set: SafekeeperSet,
  tenantId?: string,
): Promise<SafekeeperAnswer<TimelineListEntry[]>[]> {
  return askSafekeepers(set, (client) => client.listTimelines(tenantId));
}

export interface TimelineRef {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
}

/**
 * A TIMELINE argument: `TENANT/TIMELINE` (32 hex characters each), or a bare timeline id that
 * the safekeepers reachable now hold under exactly one tenant.
 */
export async function resolveTimelineRef(set: SafekeeperSet, text: string): Promise<TimelineRef> {
  const parts = text.split('/');
  if (parts.length === 2)
    return { tenantId: parseTenantId(parts[0]), timelineId: parseTimelineId(parts[1]) };
  if (parts.length !== 1 || !isHexId(text))
    throw new AppError(
      'usage',
      `invalid timeline "${text.slice(0, 80)}": expected TENANT/TIMELINE or a timeline id (32 lower-case hex characters each)`,
    );
  const timelineId = parseTimelineId(text);
  const listed = await listTimelinesOnSafekeepers(set);
  const tenants = new Set(
    listed.flatMap((entry) =>
      (entry.result ?? []).filter((t) => t.timeline_id === timelineId).map((t) => t.tenant_id),
    ),
  );
  if (tenants.size > 1)
    throw new AppError('usage', `timeline ${timelineId} exists under several tenants`, {
      hints: [
        `Name it as TENANT/TIMELINE, one of: ${[...tenants].map((t) => `${t}/${timelineId}`).join(', ')}.`,
      ],
    });
  const [tenant] = tenants;
  if (tenant === undefined) {
    if (listed.every((entry) => entry.state === 'down')) throw noSafekeeperRuns();
    throw timelineNotFound(timelineId, listed, [
      'Create it with `neon_local sk timeline create`, or name it as TENANT/TIMELINE.',
    ]);
  }
  return { tenantId: parseTenantId(tenant), timelineId };
}

/** No safekeeper that answered holds the timeline; those that did not answer are named. */
export function timelineNotFound(
  name: string,
  answers: readonly SafekeeperAnswer<unknown>[],
  hints: readonly string[],
): AppError {
  const missing = describeFailures(answers.filter((answer) => answer.error?.code !== 'not-found'));
  return new AppError(
    'not-found',
    `timeline ${name} is not on any safekeeper that answered${missing === '' ? '' : ` (no answer from ${missing})`}`,
    { hints },
  );
}

/** Nothing of the cluster answers: the usual cause is that it was never started. */
export function noSafekeeperRuns(): AppError {
  return new AppError('unavailable', 'no safekeeper of the cluster is running', {
    hints: ['Start the cluster with `neon_local start`.'],
  });
}
