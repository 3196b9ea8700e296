// The replicas streaming one timeline right now (one entry per START_REPLICATION connection,
// removed when it ends): where each started, what was sent to it, and its latest feedback
// (standby status 'r', hot-standby 'h', pageserver 'z'). From them it derives what an
// AppendResponse hands back to the walproposer (neon's get_hs_feedback / pageserver feedback).
// Memory only; it must not touch the disk or the timeline's LSNs.
import type { Lsn } from '../../postgres/lsn.js';
import type { StandbyStatusUpdate } from '../../postgres/wire/replication-messages.js';
import type { HotStandbyFeedback, PageserverFeedback } from '../../protocol/proposer-messages.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** A bound on connections per timeline that stream at once: beyond it a replica is refused. */
export const MAX_REPLICAS_PER_TIMELINE = 64;

/** What a replica's feedback sends when nobody sent any (neon's HotStandbyFeedback::empty). */
export const NO_HOT_STANDBY_FEEDBACK: HotStandbyFeedback = {
  timestampMicros: 0n,
  xmin: U64_MAX,
  catalogXmin: U64_MAX,
};

export interface ReplicaIdentity {
  readonly applicationName: string | null;
  readonly clientAddress: string | null;
  readonly startLsn: Lsn;
}

export interface ReplicaSnapshot extends ReplicaIdentity {
  readonly id: number;
  /** The end of the WAL handed to the connection so far. */
  readonly sentLsn: Lsn;
  readonly standbyStatus: (StandbyStatusUpdate & { readonly reportedAtMs: number }) | null;
  readonly hotStandbyFeedback: HotStandbyFeedback | null;
  readonly pageserverFeedback: PageserverFeedback | null;
  readonly lastFeedbackAtMs: number | null;
}

type MutableSnapshot = { -readonly [K in keyof ReplicaSnapshot]: ReplicaSnapshot[K] };

/** One registered replica: its connection records into it, then removes it. */
export class ReplicaSlot {
  constructor(
    private readonly entry: MutableSnapshot,
    private readonly onRemove: () => void,
  ) {}

  get snapshot(): ReplicaSnapshot {
    return this.entry;
  }

  recordSent(endLsn: Lsn): void {
    if (endLsn > this.entry.sentLsn) this.entry.sentLsn = endLsn;
  }

  recordStandbyStatus(status: StandbyStatusUpdate, nowMs = Date.now()): void {
    this.entry.standbyStatus = { ...status, reportedAtMs: nowMs };
    this.entry.lastFeedbackAtMs = nowMs;
  }

  recordHotStandbyFeedback(feedback: HotStandbyFeedback, nowMs = Date.now()): void {
    this.entry.hotStandbyFeedback = feedback;
    this.entry.lastFeedbackAtMs = nowMs;
  }

  recordPageserverFeedback(feedback: PageserverFeedback, nowMs = Date.now()): void {
    this.entry.pageserverFeedback = feedback;
    this.entry.lastFeedbackAtMs = nowMs;
  }

  /** The connection ended; idempotent. */
  remove(): void {
    this.onRemove();
  }
}

export class ReplicaRegistry {
  private readonly entries = new Map<number, MutableSnapshot>();
  private nextId = 1;

  get size(): number {
    return this.entries.size;
  }

  /** Registers a replica; undefined when MAX_REPLICAS_PER_TIMELINE stream already. */
  add(identity: ReplicaIdentity): ReplicaSlot | undefined {
    if (this.entries.size >= MAX_REPLICAS_PER_TIMELINE) return undefined;
    const id = this.nextId++;
    const entry: MutableSnapshot = {
      ...identity,
      id,
      sentLsn: identity.startLsn,
      standbyStatus: null,
      hotStandbyFeedback: null,
      pageserverFeedback: null,
      lastFeedbackAtMs: null,
    };
    this.entries.set(id, entry);
    return new ReplicaSlot(entry, () => this.entries.delete(id));
  }

  list(): readonly ReplicaSnapshot[] {
    return [...this.entries.values()];
  }

  /**
   * The hot-standby feedback for the walproposer: the smallest xmin and catalog_xmin and the
   * latest time over the replicas that sent one (an invalid xid 0 holds nothing back);
   * NO_HOT_STANDBY_FEEDBACK when none did.
   */
  hotStandbyFeedback(): HotStandbyFeedback {
    let combined = NO_HOT_STANDBY_FEEDBACK;
    for (const { hotStandbyFeedback: feedback } of this.entries.values()) {
      if (feedback === null) continue;
      combined = {
        timestampMicros:
          feedback.timestampMicros > combined.timestampMicros
            ? feedback.timestampMicros
            : combined.timestampMicros,
        xmin: minXid(combined.xmin, feedback.xmin),
        catalogXmin: minXid(combined.catalogXmin, feedback.catalogXmin),
      };
    }
    return combined;
  }

  /** The latest pageserver feedback of the replica with the most advanced ps_writelsn. */
  pageserverFeedback(): PageserverFeedback | undefined {
    let best: PageserverFeedback | undefined;
    for (const { pageserverFeedback: feedback } of this.entries.values())
      if (feedback !== null && (best === undefined || feedback.psWriteLsn > best.psWriteLsn))
        best = feedback;
    return best;
  }
}

/** Neon's empty pageserver feedback: zeros, replied "now" (a timestamp in µs since 2000). */
export function noPageserverFeedback(replyTimeMicros: bigint): PageserverFeedback {
  return {
    currentTimelineSizeBytes: 0n,
    psWriteLsn: 0n,
    psFlushLsn: 0n,
    psApplyLsn: 0n,
    psReplyTimeMicros: replyTimeMicros,
  };
}

function minXid(current: bigint, offered: bigint): bigint {
  return offered !== 0n && offered < current ? offered : current;
}
