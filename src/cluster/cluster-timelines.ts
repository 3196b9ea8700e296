// Timeline operations across the cluster's safekeepers, over their admin APIs: create a timeline
// on every (or the chosen) safekeeper, list what each one holds. Results are per safekeeper so
// that a partial failure is reported exactly; the caller decides the exit code.
import { AppError, describeError, isAppError, type ErrorCode } from '../common/errors.js';
import {
  isHexId,
  parseTenantId,
  parseTimelineId,
  type TenantId,
  type TimelineId,
} from '../common/hex-id.js';
import type { NodeId } from '../common/ids.js';
import {
  SafekeeperClient,
  type CreateTimelineRequest,
  type TimelineListEntry,
  type TimelineStatus,
} from '../client/safekeeper-client.js';
import { findSafekeeper, type ClusterConfig } from './config.js';
import { LOOPBACK_HOST } from './process/ports.js';

export interface PerSafekeeper<T> {
  readonly id: NodeId;
  readonly result?: T;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** The HTTP client of one of the cluster's safekeepers (the client's default timeout unless given). */
export function clientFor(config: ClusterConfig, id: NodeId, timeoutMs?: number): SafekeeperClient {
  const sk = findSafekeeper(config, id);
  return new SafekeeperClient(
    `safekeeper ${id}`,
    `http://${LOOPBACK_HOST}:${sk.httpPort}`,
    timeoutMs,
  );
}

async function onEach<T>(
  config: ClusterConfig,
  ids: readonly NodeId[] | undefined,
  action: (client: SafekeeperClient) => Promise<T>,
): Promise<PerSafekeeper<T>[]> {
  const targets = ids ?? config.safekeepers.map((sk) => sk.id);
  return Promise.all(
    targets.map(async (id) => {
      try {
        return { id, result: await action(clientFor(config, id)) };
      } catch (error) {
        const code = isAppError(error) ? error.code : 'internal';
        return { id, error: { code, message: describeError(error) } };
      }
    }),
  );
}

export function createTimelineOnSafekeepers(
  config: ClusterConfig,
  request: CreateTimelineRequest,
  ids?: readonly NodeId[],
): Promise<PerSafekeeper<TimelineStatus>[]> {
  for (const id of ids ?? []) findSafekeeper(config, id);
  return onEach(config, ids, (client) => client.createTimeline(request));
}

export function listTimelinesOnSafekeepers(
  config: ClusterConfig,
  tenantId?: string,
): Promise<PerSafekeeper<TimelineListEntry[]>[]> {
  return onEach(config, undefined, (client) => client.listTimelines(tenantId));
}

/** Throws the first failure as an AppError (with its code) naming every failed safekeeper. */
export function failOnErrors(results: readonly PerSafekeeper<unknown>[], what: string): void {
  const failed = results.filter((entry) => entry.error !== undefined);
  const first = failed[0]?.error;
  if (first === undefined) return;
  const ids = failed.map((entry) => entry.id).join(', ');
  throw new AppError(first.code, `${what} failed on safekeeper ${ids}: ${first.message}`);
}

export interface TimelineRef {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
}

/**
 * A TIMELINE argument: `TENANT/TIMELINE` (32 hex characters each), or a bare timeline id that
 * the safekeepers reachable now hold under exactly one tenant.
 */
export async function resolveTimelineRef(
  config: ClusterConfig,
  text: string,
): Promise<TimelineRef> {
  const parts = text.split('/');
  if (parts.length === 2)
    return { tenantId: parseTenantId(parts[0]), timelineId: parseTimelineId(parts[1]) };
  if (parts.length !== 1 || !isHexId(text))
    throw new AppError(
      'usage',
      `invalid timeline "${text.slice(0, 80)}": expected TENANT/TIMELINE or a timeline id (32 lower-case hex characters each)`,
    );
  const timelineId = parseTimelineId(text);
  const listed = await listTimelinesOnSafekeepers(config);
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
    const down = listed.filter((entry) => entry.error !== undefined).map((entry) => entry.id);
    throw new AppError(
      'not-found',
      `timeline ${timelineId} is not on any safekeeper that answered${down.length > 0 ? ` (down: ${down.join(', ')})` : ''}`,
      { hints: ['Create it with `neon_local sk timeline create`, or name it as TENANT/TIMELINE.'] },
    );
  }
  return { tenantId: parseTenantId(tenant), timelineId };
}
