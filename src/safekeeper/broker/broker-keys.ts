// The broker's etcd key layout (neon after 8a53472e4f, so the info and election keys never
// overlap): per timeline and safekeeper `<prefix>/<tenant>/<timeline>/safekeeper/timeline_info/<sk_id>`,
// and the offload election `<prefix>/<tenant>/<timeline>/safekeeper/wal_backup`. Node ids of any
// number of digits (neon's first version recognised one digit only).
import { isHexId, type TenantId, type TimelineId } from '../../common/hex-id.js';
import { isValidNodeId, type NodeId } from '../../common/ids.js';

export function timelinePrefix(prefix: string, tenantId: string, timelineId: string): string {
  return `${prefix}/${tenantId}/${timelineId}/safekeeper`;
}

export function timelineInfoKey(
  prefix: string,
  tenantId: string,
  timelineId: string,
  nodeId: number,
): string {
  return `${timelinePrefix(prefix, tenantId, timelineId)}/timeline_info/${nodeId}`;
}

export function walBackupElectionKey(prefix: string, tenantId: string, timelineId: string): string {
  return `${timelinePrefix(prefix, tenantId, timelineId)}/wal_backup`;
}

/** What every safekeeper of every timeline publishes under (the watch's prefix). */
export function brokerWatchPrefix(prefix: string): string {
  return `${prefix}/`;
}

export interface TimelineInfoKey {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly nodeId: NodeId;
}

/** The parts of a timeline_info key under `prefix`; undefined for any other key. */
export function parseTimelineInfoKey(prefix: string, key: string): TimelineInfoKey | undefined {
  const head = brokerWatchPrefix(prefix);
  if (!key.startsWith(head)) return undefined;
  const parts = key.slice(head.length).split('/');
  if (parts.length !== 5 || parts[2] !== 'safekeeper' || parts[3] !== 'timeline_info')
    return undefined;
  const [tenantId, timelineId, , , idText] = parts as [string, string, string, string, string];
  if (!isHexId(tenantId) || !isHexId(timelineId) || !/^[1-9]\d{0,9}$/.test(idText))
    return undefined;
  const nodeId = Number(idText);
  if (!isValidNodeId(nodeId)) return undefined;
  return { tenantId: tenantId as TenantId, timelineId: timelineId as TimelineId, nodeId };
}
