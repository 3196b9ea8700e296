// Builds the status document of one timeline (protocol/timeline-status.ts has its type): neon's
// fields with LSNs as "X/X" strings and the in-memory values of the horizon LSNs, plus what neon
// did not show: their persisted copies, the WAL write positions and the local segment range.
import { formatLsn } from '../../postgres/lsn.js';
import { segmentFileName } from '../../postgres/segment-name.js';
import { epochAt } from '../../protocol/term-history.js';
import type {
  HorizonDocument,
  LocalSegmentsDocument,
  TimelineStatus,
  WalBackupDocument,
} from '../../protocol/timeline-status.js';
import type { Horizon } from '../remove-wal/horizon.js';
import { notConfiguredDocument } from '../wal-backup/offload-state.js';
import { listSegments, type SegmentLocation } from '../wal/segment-files.js';
import { describeReplica } from './replica-document.js';
import type { Timeline } from './timeline.js';

function describeLocalSegments(
  segments: readonly SegmentLocation[],
  segmentSizeBytes: number,
): LocalSegmentsDocument {
  if (segmentSizeBytes === 0) return { first: null, last: null, count: 0, bytes: 0, partial: null };
  const name = (index: number): string | null => {
    const segment = segments.at(index);
    return segment === undefined ? null : segmentFileName(segment.segno, segmentSizeBytes);
  };
  const partial = segments.find((segment) => segment.partial);
  return {
    first: name(0),
    last: name(-1),
    count: segments.length,
    bytes: segments.length * segmentSizeBytes,
    partial: partial === undefined ? null : segmentFileName(partial.segno, segmentSizeBytes),
  };
}

/** The horizon with its inputs, and the bytes of complete local segments it keeps. */
export function describeHorizon(
  timeline: Timeline,
  horizon: Horizon,
  segments: readonly SegmentLocation[],
): HorizonDocument {
  const state = timeline.state;
  const segmentSizeBytes = state.server.walSegSize;
  const pinned = segments.filter(
    (segment) =>
      !segment.partial &&
      segment.segno >= horizon.removableBeforeSegno &&
      segment.segno < horizon.ceilingSegno,
  ).length;
  return {
    lsn: formatLsn(horizon.horizonLsn),
    limited_by: horizon.limitedBy,
    inputs: {
      remote_consistent_lsn: formatLsn(state.remoteConsistentLsn),
      peer_horizon_lsn: formatLsn(state.peerHorizonLsn),
      backup_lsn: timeline.walBackupConfigured ? formatLsn(state.backupLsn) : null,
    },
    removable_before:
      segmentSizeBytes === 0
        ? null
        : segmentFileName(horizon.removableBeforeSegno, segmentSizeBytes),
    pinned_bytes: pinned * segmentSizeBytes,
  };
}

/** The timeline's segment files (none while the segment size is not known). */
export async function localSegmentsOf(timeline: Timeline): Promise<SegmentLocation[]> {
  const segmentSizeBytes = timeline.state.server.walSegSize;
  return segmentSizeBytes === 0 ? [] : listSegments(timeline.dir, segmentSizeBytes);
}

/** `walBackup`: the timeline's offload status (absent: this safekeeper does not offload). */
export async function describeTimeline(
  timeline: Timeline,
  walBackup?: (timeline: Timeline) => WalBackupDocument,
): Promise<TimelineStatus> {
  const segments = await localSegmentsOf(timeline);
  const state = timeline.state;
  const inmem = timeline.inmemLsns;
  const wal = timeline.walStorage;
  const flushLsn = timeline.flushLsn;
  return {
    tenant_id: state.tenantId,
    timeline_id: state.timelineId,
    acceptor_state: {
      term: Number(state.acceptorState.term),
      epoch: Number(epochAt(state.acceptorState.termHistory, flushLsn)),
      term_history: state.acceptorState.termHistory.map((entry) => ({
        term: Number(entry.term),
        lsn: formatLsn(entry.lsn),
      })),
    },
    server: {
      pg_version: state.server.pgVersion,
      system_id: state.server.systemId.toString(),
      wal_seg_size: state.server.walSegSize,
    },
    proposer_uuid: state.proposerUuid,
    flush_lsn: formatLsn(flushLsn),
    write_lsn: formatLsn(wal?.writeLsn ?? 0n),
    write_record_lsn: formatLsn(wal?.writeRecordLsn ?? 0n),
    timeline_start_lsn: formatLsn(state.timelineStartLsn),
    local_start_lsn: formatLsn(state.localStartLsn),
    commit_lsn: formatLsn(inmem.commitLsn),
    backup_lsn: formatLsn(inmem.backupLsn),
    peer_horizon_lsn: formatLsn(inmem.peerHorizonLsn),
    remote_consistent_lsn: formatLsn(inmem.remoteConsistentLsn),
    persisted: {
      commit_lsn: formatLsn(state.commitLsn),
      backup_lsn: formatLsn(state.backupLsn),
      peer_horizon_lsn: formatLsn(state.peerHorizonLsn),
      remote_consistent_lsn: formatLsn(state.remoteConsistentLsn),
    },
    local_segments: describeLocalSegments(segments, state.server.walSegSize),
    horizon: describeHorizon(timeline, timeline.horizon(), segments),
    wal_backup: walBackup?.(timeline) ?? notConfiguredDocument(),
    peers: state.peers.map((peer) => ({
      node_id: Number(peer.nodeId),
      term: Number(peer.term),
      flush_lsn: formatLsn(peer.flushLsn),
      commit_lsn: formatLsn(peer.commitLsn),
      backup_lsn: formatLsn(peer.backupLsn),
    })),
    active: timeline.isActive,
    replicas: timeline.replicas.list().map(describeReplica),
  };
}
