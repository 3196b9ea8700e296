// The timeline status document of the safekeeper's admin API (GET /v1/tenant/:t/timeline/:tl,
// and the entries of the timeline lists): one type shared by the daemon that builds it, the
// client that reads it and the tests. LSNs are "X/X" strings, terms and node ids JSON numbers,
// the system id a decimal string (a u64 does not fit a JSON number). Types only.

export interface TermSwitchDocument {
  readonly term: number;
  readonly lsn: string;
}

export interface LocalSegmentsDocument {
  /** Segment file names (without .partial); null when the timeline has no WAL yet. */
  readonly first: string | null;
  readonly last: string | null;
  readonly count: number;
  readonly bytes: number;
  /** The segment still being written, if any. */
  readonly partial: string | null;
}

export interface PeerDocument {
  readonly node_id: number;
  readonly term: number;
  readonly flush_lsn: string;
  readonly commit_lsn: string;
  readonly backup_lsn: string;
}

/** One connection streaming the timeline now (START_REPLICATION other than recovery). */
export interface ReplicaDocument {
  readonly application_name: string | null;
  /** host:port of the client. */
  readonly client_address: string | null;
  readonly start_lsn: string;
  /** The end of the WAL sent to it so far. */
  readonly sent_lsn: string;
  /** Its latest standby status update ('r'). */
  readonly standby_status: {
    readonly write_lsn: string;
    readonly flush_lsn: string;
    readonly apply_lsn: string;
    readonly reported_at: string;
  } | null;
  /** Its latest hot-standby feedback ('h'): full transaction ids as decimal strings, ts in µs since 2000. */
  readonly hot_standby_feedback: {
    readonly ts: string;
    readonly xmin: string;
    readonly catalog_xmin: string;
  } | null;
  /** Its latest pageserver feedback ('z'). */
  readonly pageserver_feedback: {
    readonly current_timeline_size: number;
    readonly ps_writelsn: string;
    readonly ps_flushlsn: string;
    readonly ps_applylsn: string;
    readonly ps_replytime: string;
  } | null;
  readonly last_feedback_at: string | null;
}

/** The WAL removal horizon (from the persisted LSNs) and what it keeps on disk. */
export interface HorizonDocument {
  /** min of the inputs that count. */
  readonly lsn: string;
  /** The input holding it back. */
  readonly limited_by: 'remote_consistent_lsn' | 'peer_horizon_lsn' | 'backup_lsn';
  /** The persisted inputs; backup_lsn is null when this safekeeper does not offload. */
  readonly inputs: {
    readonly remote_consistent_lsn: string;
    readonly peer_horizon_lsn: string;
    readonly backup_lsn: string | null;
  };
  /** Segments below this one may be removed; null when the segment size is not known yet. */
  readonly removable_before: string | null;
  /**
   * Bytes of complete local segments kept only because of the horizon: those from the
   * horizon's segment up to the one before the segment holding commit_lsn (removable once every
   * consumer caught up).
   */
  readonly pinned_bytes: number;
}

/** The answer of GET .../wait: the LSN's value when it answered and whether it reached the target. */
export interface LsnWaitDocument {
  readonly lsn: string;
  readonly value: string;
  readonly reached: boolean;
}

/** What one removal run did (POST /v1/tenant/:t/timeline/:tl/checkpoint answers it). */
export interface WalRemovalDocument {
  /** null: nothing was removed. */
  readonly removed: {
    readonly first: string;
    readonly last: string;
    readonly count: number;
    readonly bytes: number;
  } | null;
  readonly horizon: HorizonDocument;
}

export interface TimelineStatus {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly acceptor_state: {
    readonly term: number;
    readonly epoch: number;
    readonly term_history: readonly TermSwitchDocument[];
  };
  readonly server: {
    readonly pg_version: number;
    readonly system_id: string;
    readonly wal_seg_size: number;
  };
  readonly proposer_uuid: string;
  readonly flush_lsn: string;
  readonly write_lsn: string;
  readonly write_record_lsn: string;
  readonly timeline_start_lsn: string;
  readonly local_start_lsn: string;
  /** The in-memory values (newer than the persisted copies below). */
  readonly commit_lsn: string;
  readonly backup_lsn: string;
  readonly peer_horizon_lsn: string;
  readonly remote_consistent_lsn: string;
  /** What the control file holds. */
  readonly persisted: {
    readonly commit_lsn: string;
    readonly backup_lsn: string;
    readonly peer_horizon_lsn: string;
    readonly remote_consistent_lsn: string;
  };
  readonly local_segments: LocalSegmentsDocument;
  readonly horizon: HorizonDocument;
  /** This safekeeper's offload of the timeline to remote storage. */
  readonly wal_backup: WalBackupDocument;
  readonly peers: readonly PeerDocument[];
  /** A walproposer is connected. */
  readonly active: boolean;
  /** The replicas streaming it now. */
  readonly replicas: readonly ReplicaDocument[];
}

/** A timeline whose files could not be loaded, as it appears in the lists. */
export interface BrokenTimelineStatus {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly error: { readonly code: string; readonly message: string };
}

export type TimelineListEntry = TimelineStatus | BrokenTimelineStatus;

export function isBrokenTimeline(entry: TimelineListEntry): entry is BrokenTimelineStatus {
  return 'error' in entry;
}

/** What this safekeeper's offload of one timeline is doing now (neon-reference §3). */
export type WalBackupPhase =
  /** No offload task: nothing complete is left to upload (or offload is not configured). */
  | 'idle'
  /** Work is pending but this safekeeper may not campaign (see ineligible_reason). */
  | 'ineligible'
  | 'campaigning'
  /** A candidate behind another one (the leader or an earlier candidate). */
  | 'waiting'
  | 'uploading'
  /** The leader uploaded everything complete and waits a little for the next segment. */
  | 'caught-up'
  /** The last upload failed; the next attempt comes after a backoff. */
  | 'backoff'
  /** etcd failed (campaign or lease); a new campaign comes after a pause. */
  | 'etcd-retry';

/** The `wal_backup` object of a timeline's status. */
export interface WalBackupDocument {
  /** Remote storage is configured and WAL backup is on. */
  readonly configured: boolean;
  readonly phase: WalBackupPhase;
  readonly eligible: boolean;
  /** Why this safekeeper may not campaign; null when eligible (or not yet checked). */
  readonly ineligible_reason: string | null;
  readonly campaigning: boolean;
  readonly leader: boolean;
  /** The segment in flight with the lowest number (null: none). */
  readonly uploading_segment: string | null;
  readonly last_uploaded_segment: string | null;
  /** ISO time of the last segment this safekeeper put into the bucket. */
  readonly last_upload_at: string | null;
  /** The last failure (upload or etcd), cleared by the next success. */
  readonly last_error: {
    readonly message: string;
    readonly at: string;
    /** Failed attempts in a row. */
    readonly failures: number;
  } | null;
}

/** POST /v1/tenant/:t/timeline/:tl/offload: what this safekeeper did when asked to offload now. */
export interface OffloadDocument {
  readonly tenant_id: string;
  readonly timeline_id: string;
  /** The phase when the answer was made (after at most a few seconds of work). */
  readonly phase: WalBackupPhase;
  readonly leader: boolean;
  /** The election's current leader as etcd reports it; null when none or etcd is unreachable. */
  readonly leader_node_id: number | null;
  readonly backup_lsn: string;
  readonly commit_lsn: string;
  readonly wal_backup: WalBackupDocument;
}

/** The `wal_backup` object of GET /v1/status (the node as a whole). */
export interface WalBackupNodeDocument {
  readonly configured: boolean;
  /** Last etcd call of the offload succeeded; null before the first one. */
  readonly etcd_connected: boolean | null;
  readonly timelines_campaigning: number;
  readonly timelines_leading: number;
}

/** The `broker` object of GET /v1/status: the safekeeper's etcd connection. */
export interface BrokerStatusDocument {
  readonly connected: boolean;
  /** true while the safekeeper has no timeline: it contacts etcd only once it has one. */
  readonly idle: boolean;
  readonly lease_id: string | null;
  readonly last_error: string | null;
  readonly published_timelines: number;
  /** Peers' timeline_info keys currently seen. */
  readonly peer_keys: number;
}

/** GET /v1/status: the node's id, its broker (null: no broker configured) and its offload. */
export interface SafekeeperStatusDocument {
  readonly id: number;
  readonly broker: BrokerStatusDocument | null;
  readonly wal_backup: WalBackupNodeDocument;
}
