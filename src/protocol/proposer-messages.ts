// The messages of neon's walproposer/safekeeper protocol (neon-reference.md §7.2), as plain
// data. On the wire each one is a CopyData payload starting with a u64 little-endian tag whose
// low byte is an ASCII letter; the codec (proposer-codec.ts) owns the byte layout. Terms, node ids
// and the system id are bigint; LSNs are Lsn (bigint); proposer ids and tenant/timeline ids are
// 16 raw bytes on the wire and 32 lower-case hex characters here.
import type { TenantId, TimelineId } from '../common/hex-id.js';
import type { Lsn } from '../postgres/lsn.js';
import type { Term, TermSwitch } from './term-history.js';

/** The only protocol version this acceptor speaks. */
/** The application_name a walproposer reads WAL back with (START_REPLICATION, recovery). */
export const RECOVERY_APPLICATION_NAME = 'wal_proposer_recovery';

export const PROPOSER_PROTOCOL_VERSION = 2;
/** Most WAL bytes one AppendRequest may carry (16 pages of 8 KiB). */
export const MAX_APPEND_WAL_BYTES = 131_072;

export interface ProposerGreeting {
  readonly tag: 'greeting';
  readonly protocolVersion: number;
  readonly pgVersion: number;
  /** 32 hex characters. */
  readonly proposerId: string;
  readonly systemId: bigint;
  readonly timelineId: TimelineId;
  readonly tenantId: TenantId;
  /** PostgreSQL timeline (always 1 here). */
  readonly pgTimeline: number;
  readonly walSegSize: number;
}

export interface VoteRequest {
  readonly tag: 'vote';
  readonly term: Term;
}

export interface ProposerElected {
  readonly tag: 'elected';
  readonly term: Term;
  readonly startStreamingAt: Lsn;
  readonly termHistory: readonly TermSwitch[];
  readonly timelineStartLsn: Lsn;
}

export interface AppendRequestHeader {
  readonly term: Term;
  readonly epochStartLsn: Lsn;
  readonly beginLsn: Lsn;
  readonly endLsn: Lsn;
  readonly commitLsn: Lsn;
  readonly truncateLsn: Lsn;
  /** 32 hex characters. */
  readonly proposerId: string;
}

export interface AppendRequest {
  readonly tag: 'append';
  readonly header: AppendRequestHeader;
  /** Exactly endLsn - beginLsn bytes (at most MAX_APPEND_WAL_BYTES). */
  readonly walBytes: Buffer;
}

export type ProposerMessage = ProposerGreeting | VoteRequest | ProposerElected | AppendRequest;

export interface AcceptorGreeting {
  readonly tag: 'greeting';
  readonly term: Term;
  readonly nodeId: bigint;
}

export interface VoteResponse {
  readonly tag: 'vote';
  readonly term: Term;
  readonly voteGiven: boolean;
  readonly flushLsn: Lsn;
  /** The acceptor's persisted peer_horizon_lsn. */
  readonly truncateLsn: Lsn;
  /** The acceptor's term history up to its flush_lsn. */
  readonly termHistory: readonly TermSwitch[];
  readonly timelineStartLsn: Lsn;
}

/** Hot-standby feedback (xmin values of replicas); zeros when there are none. */
export interface HotStandbyFeedback {
  readonly timestampMicros: bigint;
  readonly xmin: bigint;
  readonly catalogXmin: bigint;
}

/** The pageserver's feedback ("ZenithFeedback"), echoed to the compute for backpressure. */
export interface PageserverFeedback {
  readonly currentTimelineSizeBytes: bigint;
  readonly psWriteLsn: Lsn;
  readonly psFlushLsn: Lsn;
  readonly psApplyLsn: Lsn;
  /** Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL epoch). */
  readonly psReplyTimeMicros: bigint;
}

export interface AppendResponse {
  readonly tag: 'append';
  readonly term: Term;
  readonly flushLsn: Lsn;
  readonly commitLsn: Lsn;
  readonly hotStandbyFeedback: HotStandbyFeedback;
  readonly pageserverFeedback: PageserverFeedback;
}

export type AcceptorMessage = AcceptorGreeting | VoteResponse | AppendResponse;
