// A typed client for one safekeeper's HTTP admin API. Every call has a timeout; an unreachable
// safekeeper is AppError('unavailable'), one that does not answer in time AppError('timed-out'); an API error keeps its message and maps back to the
// AppError code the daemon started from (400 usage, 404 not-found, 409 wrong-state, ...).
import { AppError } from '../common/errors.js';
import { errorCodeOfHttp } from '../common/http-errors.js';
import type { TimelineListEntry, TimelineStatus } from '../protocol/timeline-status.js';

export type { TimelineListEntry, TimelineStatus };

const SAFEKEEPER_API_TIMEOUT_MS = 10_000;

export interface CreateTimelineRequest {
  readonly tenant_id: string;
  readonly timeline_id: string;
  readonly wal_seg_size?: number;
  readonly pg_version?: number;
  readonly peer_ids?: readonly number[];
}

export class SafekeeperClient {
  constructor(
    readonly what: string,
    private readonly baseUrl: string,
    private readonly timeoutMs = SAFEKEEPER_API_TIMEOUT_MS,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw new AppError(
          'timed-out',
          `${this.what} did not answer ${method} ${path} within ${this.timeoutMs} ms`,
          {
            cause: error,
            hints: ['Check whether it is paused or overloaded with `neon_local status`.'],
          },
        );
      throw new AppError('unavailable', `${this.what} is not reachable at ${this.baseUrl}`, {
        cause: error,
        hints: ['Check that it runs with `neon_local status`.'],
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new AppError('internal', `${this.what} answered ${method} ${path} with non-JSON text`);
    }
    if (response.ok) return parsed;
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    const code = errorCodeOfHttp(response.status, error?.code);
    throw new AppError(code, `${this.what}: ${error?.message ?? `HTTP ${response.status}`}`);
  }

  async createTimeline(request: CreateTimelineRequest): Promise<TimelineStatus> {
    return (await this.call('POST', '/v1/tenant/timeline', request)) as TimelineStatus;
  }

  /** Every timeline of the node (or of one tenant); broken ones carry their error. */
  async listTimelines(tenantId?: string): Promise<TimelineListEntry[]> {
    const path = tenantId === undefined ? '/v1/timelines' : `/v1/tenant/${tenantId}/timelines`;
    return (await this.call('GET', path)) as TimelineListEntry[];
  }

  async timelineStatus(tenantId: string, timelineId: string): Promise<TimelineStatus> {
    return (await this.call(
      'GET',
      `/v1/tenant/${tenantId}/timeline/${timelineId}`,
    )) as TimelineStatus;
  }
}
