// Reads a safekeeper's GET /v1/timelines answer (protocol/timeline-status.ts) defensively: it
// comes from another process. Entries that are broken timelines or lack a valid id, LSN or
// segment size are skipped; an answer that is not an array is an error.
import { isHexId, type TenantId, type TimelineId } from '../../common/hex-id.js';
import type { NodeId } from '../../common/ids.js';
import { parseLsn, type Lsn } from '../../postgres/lsn.js';
import { isValidSegmentSize } from '../../postgres/segment-name.js';
import type { SourceCandidate } from '../receiver/source-selection.js';

export interface DiscoveredTimeline {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly candidate: SourceCandidate;
}

/** Entries one answer may carry (a bound on the work a misbehaving safekeeper can cause). */
const ENTRIES_MAX = 10_000;

function lsnField(entry: Record<string, unknown>, key: string): Lsn | undefined {
  const value = entry[key];
  if (typeof value !== 'string') return undefined;
  try {
    return parseLsn(value);
  } catch {
    return undefined;
  }
}

function segmentSizeOf(entry: Record<string, unknown>): number | undefined {
  const server = entry.server;
  if (typeof server !== 'object' || server === null) return undefined;
  const size = (server as Record<string, unknown>).wal_seg_size;
  if (size === 0) return 0;
  return typeof size === 'number' && isValidSegmentSize(size) ? size : undefined;
}

export function parseTimelineList(value: unknown, safekeeperId: NodeId): DiscoveredTimeline[] {
  if (!Array.isArray(value)) throw new Error('GET /v1/timelines did not answer a JSON array');
  const found: DiscoveredTimeline[] = [];
  for (const item of value.slice(0, ENTRIES_MAX) as unknown[]) {
    if (typeof item !== 'object' || item === null || 'error' in item) continue;
    const entry = item as Record<string, unknown>;
    if (!isHexId(entry.tenant_id) || !isHexId(entry.timeline_id)) continue;
    const commitLsn = lsnField(entry, 'commit_lsn');
    const timelineStartLsn = lsnField(entry, 'timeline_start_lsn');
    const localStartLsn = lsnField(entry, 'local_start_lsn');
    const segmentSizeBytes = segmentSizeOf(entry);
    if (
      commitLsn === undefined ||
      timelineStartLsn === undefined ||
      localStartLsn === undefined ||
      segmentSizeBytes === undefined
    )
      continue;
    found.push({
      tenantId: entry.tenant_id as TenantId,
      timelineId: entry.timeline_id as TimelineId,
      candidate: { safekeeperId, commitLsn, timelineStartLsn, localStartLsn, segmentSizeBytes },
    });
  }
  return found;
}
