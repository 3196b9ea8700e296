// A typed client for the pageserver's HTTP admin API (docs/pageserver.md); errors as in
// admin-api.ts.
import type {
  PageserverCheckpointDocument,
  PageserverStatusDocument,
  PageserverTimelineDocument,
} from '../protocol/pageserver-status.js';
import type { LsnWaitDocument } from '../protocol/timeline-status.js';
import { AdminApi } from './admin-api.js';

export type { PageserverCheckpointDocument, PageserverStatusDocument, PageserverTimelineDocument };

const PAGESERVER_API_TIMEOUT_MS = 10_000;

export class PageserverClient {
  private readonly api: AdminApi;

  constructor(baseUrl: string, timeoutMs = PAGESERVER_API_TIMEOUT_MS) {
    this.api = new AdminApi('the pageserver', baseUrl, timeoutMs);
  }

  async status(): Promise<PageserverStatusDocument> {
    return (await this.api.call('GET', '/v1/status')) as PageserverStatusDocument;
  }

  async listTimelines(): Promise<PageserverTimelineDocument[]> {
    return (await this.api.call('GET', '/v1/timelines')) as PageserverTimelineDocument[];
  }

  async timeline(tenantId: string, timelineId: string): Promise<PageserverTimelineDocument> {
    return (await this.api.call(
      'GET',
      `/v1/tenant/${tenantId}/timeline/${timelineId}`,
    )) as PageserverTimelineDocument;
  }

  /**
   * Waits on the pageserver until `lsnName` (received_lsn, durable_lsn, uploaded_lsn) of the
   * timeline reaches `atLeast`, at most `timeoutMs` (30 s), and answers with the value then.
   * The client's own timeout must be longer than the wait.
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

  /** Tells the pageserver about a timeline now (it would find it on its next discovery round). */
  async attachTimeline(tenantId: string, timelineId: string): Promise<PageserverTimelineDocument> {
    return (await this.api.call('POST', '/v1/timeline', {
      tenant_id: tenantId,
      timeline_id: timelineId,
    })) as PageserverTimelineDocument;
  }

  /** Uploads what it holds; answers once the upload is confirmed and reported. */
  async checkpoint(tenantId: string, timelineId: string): Promise<PageserverCheckpointDocument> {
    return (await this.api.call(
      'POST',
      `/v1/tenant/${tenantId}/timeline/${timelineId}/checkpoint`,
    )) as PageserverCheckpointDocument;
  }
}
