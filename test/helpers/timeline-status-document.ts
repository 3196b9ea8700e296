// A whole timeline status document (GET /v1/tenant/:t/timeline/:tl) for view tests: a timeline of
// 16 MiB segments in term 3 with no WAL and offload off, every field present; a test overrides
// what it is about.
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';

export const SEGMENT_16_MIB = 16 * 1024 * 1024;

export function timelineStatusDocument(overrides: Partial<TimelineStatus> = {}): TimelineStatus {
  const lsns = {
    commit_lsn: '0/0',
    backup_lsn: '0/0',
    peer_horizon_lsn: '0/0',
    remote_consistent_lsn: '0/0',
  };
  return {
    tenant_id: 'de200bd42b5f4e5c9a1f6b7c8d9e0f1a',
    timeline_id: '0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6',
    acceptor_state: { term: 3, epoch: 3, term_history: [] },
    server: { pg_version: 150000, system_id: '7312345678901234567', wal_seg_size: SEGMENT_16_MIB },
    proposer_uuid: '0'.repeat(32),
    flush_lsn: '0/0',
    write_lsn: '0/0',
    write_record_lsn: '0/0',
    timeline_start_lsn: '0/1000000',
    local_start_lsn: '0/1000000',
    ...lsns,
    persisted: lsns,
    local_segments: { first: null, last: null, count: 0, bytes: 0, partial: null },
    horizon: {
      lsn: '0/0',
      limited_by: 'remote_consistent_lsn',
      inputs: { remote_consistent_lsn: '0/0', peer_horizon_lsn: '0/0', backup_lsn: '0/0' },
      removable_before: '000000010000000000000000',
      pinned_bytes: 0,
    },
    wal_backup: {
      configured: false,
      phase: 'idle',
      eligible: false,
      ineligible_reason: null,
      campaigning: false,
      leader: false,
      uploading_segment: null,
      last_uploaded_segment: null,
      last_upload_at: null,
      last_error: null,
    },
    peers: [],
    active: false,
    replicas: [],
    ...overrides,
  };
}
