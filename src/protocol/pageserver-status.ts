// The documents of the pageserver's HTTP API (docs/pageserver.md): one set of types shared by
// the daemon that builds them and the clients and tests that read them. LSNs are "X/X" strings,
// times ISO-8601 strings. Types only.

export type PageserverTimelineState = 'streaming' | 'connecting' | 'no-safekeeper' | 'broken';

export interface PageserverSourceDocument {
  readonly safekeeper_id: number;
  /** When streaming from this safekeeper began. */
  readonly since: string;
}

export interface PageserverTimelineDocument {
  readonly tenant_id: string;
  readonly timeline_id: string;
  /** End of the WAL received (ps_writelsn). */
  readonly received_lsn: string;
  /** End of the WAL durable on the pageserver's disk (ps_flushlsn). */
  readonly durable_lsn: string;
  /** End of the WAL uploaded by the last confirmed checkpoint (ps_applylsn). */
  readonly uploaded_lsn: string;
  readonly source: PageserverSourceDocument | null;
  readonly state: PageserverTimelineState;
  readonly last_error: string | null;
  readonly last_checkpoint_at: string | null;
}

export interface PageserverStatusDocument {
  readonly id: 'pageserver';
  readonly timelines: number;
}

/** The answer of POST /v1/tenant/:tenant/timeline/:timeline/checkpoint. */
export interface CheckpointDocument {
  readonly uploaded_lsn: string;
  readonly objects: number;
  readonly bytes: number;
}
