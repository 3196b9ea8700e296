// The persistent per-timeline state of a safekeeper (neon's SafeKeeperState), as stored in the
// control file. Plain data: the codec encodes it, the timeline owns and changes it. Terms, node
// ids and the system id are u64 on disk and bigint here; LSNs are bigint (Lsn).
import type { TenantId, TimelineId } from '../../common/hex-id.js';
import type { Lsn } from '../../postgres/lsn.js';
import type { Term, TermSwitch } from '../../protocol/term-history.js';

export interface AcceptorState {
  /** Highest term this acceptor voted for or accepted. */
  readonly term: Term;
  readonly termHistory: readonly TermSwitch[];
}

export interface ServerInfo {
  /** PostgreSQL version number (150000 style); 0 = unknown. */
  readonly pgVersion: number;
  readonly systemId: bigint;
  /** 0 = no compute has greeted yet: WAL storage is not initialised. */
  readonly walSegSize: number;
}

export interface PeerInfo {
  readonly nodeId: bigint;
  readonly backupLsn: Lsn;
  readonly term: Term;
  readonly flushLsn: Lsn;
  readonly commitLsn: Lsn;
}

export interface SafekeeperState {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly acceptorState: AcceptorState;
  readonly server: ServerInfo;
  /** Last elected proposer, 32 hex characters (monitoring only). */
  readonly proposerUuid: string;
  readonly timelineStartLsn: Lsn;
  readonly localStartLsn: Lsn;
  readonly commitLsn: Lsn;
  readonly backupLsn: Lsn;
  readonly peerHorizonLsn: Lsn;
  readonly remoteConsistentLsn: Lsn;
  readonly peers: readonly PeerInfo[];
}

const NIL_PROPOSER_UUID = '0'.repeat(32);

export function initialSafekeeperState(
  tenantId: TenantId,
  timelineId: TimelineId,
  server: ServerInfo = { pgVersion: 0, systemId: 0n, walSegSize: 0 },
  peers: readonly PeerInfo[] = [],
): SafekeeperState {
  return {
    tenantId,
    timelineId,
    acceptorState: { term: 0n, termHistory: [] },
    server,
    proposerUuid: NIL_PROPOSER_UUID,
    timelineStartLsn: 0n,
    localStartLsn: 0n,
    commitLsn: 0n,
    backupLsn: 0n,
    peerHorizonLsn: 0n,
    remoteConsistentLsn: 0n,
    peers,
  };
}
