// The documents of the pageserver's admin API (docs/pageserver.md): one set of types shared by
// the daemon that builds them, the clients that read them and the tests. LSNs are "X/X"
// strings, times ISO 8601. Types only.

export type PageserverTimelineStateName = 'streaming' | 'connecting' | 'no-safekeeper' | 'broken';

export interface PageserverTimelineDocument {
  readonly tenant_id: string;
  readonly timeline_id: string;
  /** End of the last complete WAL record received. */
  readonly received_lsn: string;
  /** End of the last complete WAL record synced to the pageserver's disk. */
  readonly durable_lsn: string;
  /** End of the WAL confirmed in the bucket by a checkpoint (reported as ps_applylsn). */
  readonly uploaded_lsn: string;
  readonly source: { readonly safekeeper_id: number; readonly since: string } | null;
  readonly state: PageserverTimelineStateName;
  readonly last_error: string | null;
  readonly last_checkpoint_at: string | null;
}

export interface PageserverStatusDocument {
  readonly id: 'pageserver';
  readonly timelines: number;
}

export interface PageserverCheckpointDocument {
  readonly uploaded_lsn: string;
  /** Objects uploaded by this checkpoint. */
  readonly objects: number;
  readonly bytes: number;
}
