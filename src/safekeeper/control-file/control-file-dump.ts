// The JSON form of a persisted state, as printed by `safekeeper --dump-control-file` (neon's
// field names; ids as hex strings, LSNs, terms and u64 ids as exact numbers, peers as
// [node_id, {...}] pairs).
import { stringifyWithBigInts } from '../../common/json-bigint.js';
import type { SafekeeperState } from './safekeeper-state.js';

function controlFileStateToJson(state: SafekeeperState): Record<string, unknown> {
  return {
    tenant_id: state.tenantId,
    timeline_id: state.timelineId,
    acceptor_state: {
      term: state.acceptorState.term,
      term_history: state.acceptorState.termHistory.map((entry) => ({
        term: entry.term,
        lsn: entry.lsn,
      })),
    },
    server: {
      pg_version: state.server.pgVersion,
      system_id: state.server.systemId,
      wal_seg_size: state.server.walSegSize,
    },
    proposer_uuid: state.proposerUuid,
    timeline_start_lsn: state.timelineStartLsn,
    local_start_lsn: state.localStartLsn,
    commit_lsn: state.commitLsn,
    backup_lsn: state.backupLsn,
    peer_horizon_lsn: state.peerHorizonLsn,
    remote_consistent_lsn: state.remoteConsistentLsn,
    peers: state.peers.map((peer) => [
      peer.nodeId,
      {
        backup_lsn: peer.backupLsn,
        term: peer.term,
        flush_lsn: peer.flushLsn,
        commit_lsn: peer.commitLsn,
      },
    ]),
  };
}

export function formatControlFileDump(state: SafekeeperState): string {
  return stringifyWithBigInts(controlFileStateToJson(state));
}
