// One JSON call to a daemon's HTTP admin API (a safekeeper's or the pageserver's), with a
// timeout. An unreachable daemon is AppError('unavailable'), one that does not answer in time
// AppError('timed-out'); an API error keeps its message and maps back to the AppError code the
// daemon started from (400 usage, 404 not-found, 409 wrong-state, ...).
import { AppError } from '../common/errors.js';
import { errorCodeOfHttp } from '../common/http-errors.js';
import type { LsnWaitDocument } from '../protocol/timeline-status.js';

export class AdminApi {
  constructor(
    /** How errors name the daemon: "safekeeper 2", "the pageserver". */
    readonly what: string,
    readonly baseUrl: string,
    readonly timeoutMs: number,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
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

  /**
   * GET .../wait, the long poll both daemons serve: until `lsnName` of the timeline reaches
   * `atLeast`, at most `timeoutMs` (30 s); answers with the value then. This client's own
   * timeout must be longer than the wait.
   */
  async waitForLsn(
    tenantId: string,
    timelineId: string,
    lsnName: string,
    atLeast: string,
    timeoutMs: number,
  ): Promise<LsnWaitDocument> {
    const query = new URLSearchParams({
      lsn: lsnName,
      at_least: atLeast,
      timeout_ms: String(Math.round(timeoutMs)),
    });
    return (await this.call(
      'GET',
      `/v1/tenant/${tenantId}/timeline/${timelineId}/wait?${query.toString()}`,
    )) as LsnWaitDocument;
  }
}
