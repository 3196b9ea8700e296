// Timeline discovery (a supervised task): every --discovery-interval, and at once when woken
// (POST /v1/timeline), GET {http}/v1/timelines from every safekeeper in parallel. Each
// timeline seen becomes known to the registry; what each safekeeper said about it (commit_lsn,
// where its WAL starts, the segment size) is handed to the timelines as source candidates.
// A safekeeper that does not answer, or answers nonsense, is left out of that round: logged
// once when it starts failing and once when it answers again, never fatal. One that refuses
// connections in the first DISCOVERY_STARTUP_GRACE_MS and has never answered is still starting
// beside the pageserver: that is not logged.
import { describeError } from '../../common/errors.js';
import { sleepMs } from '../../common/deadline.js';
import { httpGet } from '../../common/http-get.js';
import type { Logger } from '../../common/log.js';
import type { SafekeeperEndpoint } from '../config.js';
import {
  DISCOVERY_REQUEST_TIMEOUT_MS,
  DISCOVERY_RESPONSE_MAX_BYTES,
  DISCOVERY_STARTUP_GRACE_MS,
} from '../limits.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import { parseTimelineList, type DiscoveredTimeline } from './timeline-list.js';

/** What one safekeeper says about its timelines; throws when it does not answer properly. */
export async function fetchTimelines(
  endpoint: SafekeeperEndpoint,
  signal: AbortSignal,
): Promise<DiscoveredTimeline[]> {
  const answer = await httpGet(`${endpoint.httpUrl}/v1/timelines`, {
    timeoutMs: DISCOVERY_REQUEST_TIMEOUT_MS,
    maxBytes: DISCOVERY_RESPONSE_MAX_BYTES,
    signal,
  });
  if (answer.status !== 200) throw new Error(`GET /v1/timelines answered ${answer.status}`);
  return parseTimelineList(JSON.parse(answer.body) as unknown, endpoint.id);
}

export class SafekeeperDiscovery {
  readonly #endpoints: readonly SafekeeperEndpoint[];
  readonly #registry: TimelineRegistry;
  readonly #intervalMs: number;
  readonly #log: Logger;
  /** Why each safekeeper failed in the last round (absent: it answered, or is still starting). */
  readonly #failing = new Map<number, string>();
  /** The safekeepers that have answered since the pageserver started. */
  readonly #answered = new Set<number>();
  readonly #startedAtMs = Date.now();
  #wake: AbortController = new AbortController();

  constructor(options: {
    endpoints: readonly SafekeeperEndpoint[];
    registry: TimelineRegistry;
    intervalMs: number;
    log: Logger;
  }) {
    this.#endpoints = options.endpoints;
    this.#registry = options.registry;
    this.#intervalMs = options.intervalMs;
    this.#log = options.log;
  }

  /** Runs the next round now instead of at the end of the interval. */
  wakeUp(): void {
    this.#wake.abort();
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.#wake = new AbortController();
      try {
        await this.runRound(signal);
      } catch (error) {
        this.#log.warn({ err: describeError(error) }, 'discovery round failed');
      }
      await sleepMs(this.#intervalMs, AbortSignal.any([signal, this.#wake.signal]));
    }
  }

  async runRound(signal: AbortSignal): Promise<void> {
    const answers = await Promise.all(
      this.#endpoints.map(async (endpoint) => {
        try {
          const timelines = await fetchTimelines(endpoint, signal);
          this.#noteAnswer(endpoint, undefined);
          return timelines;
        } catch (error) {
          if (!this.#stillStarting(endpoint, error))
            this.#noteAnswer(endpoint, describeError(error));
          return [];
        }
      }),
    );
    if (signal.aborted) return;
    await this.#registry.applyDiscovery(answers.flat());
  }

  /** A refused connection, early, from a safekeeper that has never answered. */
  #stillStarting(endpoint: SafekeeperEndpoint, error: unknown): boolean {
    return (
      !this.#answered.has(endpoint.id) &&
      Date.now() - this.#startedAtMs < DISCOVERY_STARTUP_GRACE_MS &&
      errorCodeOf(error) === 'ECONNREFUSED'
    );
  }

  #noteAnswer(endpoint: SafekeeperEndpoint, failure: string | undefined): void {
    const before = this.#failing.get(endpoint.id);
    if (failure === undefined) {
      this.#answered.add(endpoint.id);
      if (before !== undefined)
        this.#log.info({ safekeeper: endpoint.id }, 'safekeeper answers again');
      this.#failing.delete(endpoint.id);
    } else {
      if (before === undefined)
        this.#log.warn(
          { safekeeper: endpoint.id, err: failure },
          'safekeeper does not answer discovery',
        );
      this.#failing.set(endpoint.id, failure);
    }
  }
}

/** The errno code of an error or of one of its causes (httpGet wraps the socket's error). */
function errorCodeOf(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code } = current as NodeJS.ErrnoException;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
