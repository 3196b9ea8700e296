// A typed client for one safekeeper's HTTP admin API; errors as in admin-api.ts.
import { AdminApi } from './admin-api.js';
import type {
  LsnWaitDocument,
  OffloadDocument,
  SafekeeperStatusDocument,
  WalRemovalDocument,
  TimelineListEntry,
  TimelineStatus,
} from '../protocol/timeline-status.js';

export type { LsnWaitDocument, SafekeeperStatusDocument, TimelineListEntry, TimelineStatus };

const SAFEKEEPER_API_TIMEOUT_MS = 10_000;

export interface CreateTimelineRequest {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly wal_seg_size?: number;
  readonly pg_version?: number;
  readonly peer_ids?: readonly number[];
}

export class SafekeeperClient {
  private readonly api: AdminApi;

  constructor(what: string, baseUrl: string, timeoutMs = SAFEKEEPER_API_TIMEOUT_MS) {
    this.api = new AdminApi(what, baseUrl, timeoutMs);
  }

  get what(): string {
    return this.api.what;
  }

  private call(method: string, path: string, body?: unknown): Promise<unknown> {
    return this.api.call(method, path, body);
  }

  async createTimeline(request: CreateTimelineRequest): Promise<TimelineStatus> {
    return (await this.call('POST', '/v1/tenant/timeline', request)) as TimelineStatus;
  }

  /** Every timeline of the node (or of one tenant); broken ones carry their error. */
  async listTimelines(tenantId?: string): Promise<TimelineListEntry[]> {
    const path = tenantId === undefined ? '/v1/timelines' : `/v1/tenant/${tenantId}/timelines`;
    return (await this.call('GET', path)) as TimelineListEntry[];
  }

  /**
   * Waits on the safekeeper (its change events) until `lsnName` of the timeline reaches
   * `atLeast`, at most `timeoutMs` (30 s), and answers with the value then.
   */
  waitForLsn(
    tenantId: string,
    timelineId: string,
    lsnName: string,
    atLeast: string,
    timeoutMs: number,
  ): Promise<LsnWaitDocument> {
    return this.api.waitForLsn(tenantId, timelineId, lsnName, atLeast, timeoutMs);
  }

  /** POST .../offload: upload every complete segment now (the leader does; others say who). */
  async offload(tenantId: string, timelineId: string): Promise<OffloadDocument> {
    return (await this.call(
      'POST',
      `/v1/tenant/${tenantId}/timeline/${timelineId}/offload`,
    )) as OffloadDocument;
  }

  /** POST .../checkpoint: remove the WAL below the horizon now; answers what went. */
  async removeWal(tenantId: string, timelineId: string): Promise<WalRemovalDocument> {
    return (await this.call(
      'POST',
      `/v1/tenant/${tenantId}/timeline/${timelineId}/checkpoint`,
    )) as WalRemovalDocument;
  }

  /** The node: its id, broker connection and offload (GET /v1/status). */
  async status(): Promise<SafekeeperStatusDocument> {
    return (await this.call('GET', '/v1/status')) as SafekeeperStatusDocument;
  }

  async timelineStatus(tenantId: string, timelineId: string): Promise<TimelineStatus> {
    return (await this.call(
      'GET',
      `/v1/tenant/${tenantId}/timeline/${timelineId}`,
    )) as TimelineStatus;
  }
}
