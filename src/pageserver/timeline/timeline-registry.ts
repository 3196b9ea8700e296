// The timelines the pageserver knows: loaded from DATADIR/<tenant>/<timeline>/ at start, added
// when discovery sees one or POST /v1/timeline names one (at most TIMELINES_MAX). Each has a
// supervised receive task. Discovery rounds land here: every timeline gets what the round saw
// about it, and a timeline whose source no longer is the right one is told to leave it.
import { readdir } from 'node:fs/promises';
import { AsyncMutex } from '../../common/async-mutex.js';
import { AppError } from '../../common/errors.js';
import { isHexId, type TenantId, type TimelineId } from '../../common/hex-id.js';
import type { Logger } from '../../common/log.js';
import type { DiscoveredTimeline } from '../discovery/timeline-list.js';
import { TIMELINES_MAX } from '../limits.js';
import { currentChoice, runReceiveLoop } from '../receiver/receive-loop.js';
import type { SourceCandidate } from '../receiver/source-selection.js';
import { PageserverTimeline, type TimelineDeps } from './pageserver-timeline.js';
import type { TimelineObserver } from './timeline-observer.js';

/** Starts a supervised task (TaskSupervisor.start). */
export type StartTask = (name: string, body: (signal: AbortSignal) => Promise<void>) => void;

export interface TimelineRegistryOptions {
  readonly dataDir: string;
  readonly deps: Omit<TimelineDeps, 'observer'>;
  readonly observerFor: (tenantId: TenantId, timelineId: TimelineId) => TimelineObserver;
  readonly startTask: StartTask;
  readonly log: Logger;
}

function keyOf(tenantId: string, timelineId: string): string {
  return `${tenantId}/${timelineId}`;
}

export class TimelineRegistry {
  readonly #options: TimelineRegistryOptions;
  readonly #timelines = new Map<string, PageserverTimeline>();
  readonly #lock = new AsyncMutex();
  #isClosed = false;

  constructor(options: TimelineRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#timelines.size;
  }

  list(): PageserverTimeline[] {
    return [...this.#timelines.values()].sort((a, b) =>
      keyOf(a.tenantId, a.timelineId) < keyOf(b.tenantId, b.timelineId) ? -1 : 1,
    );
  }

  get(tenantId: TenantId, timelineId: TimelineId): PageserverTimeline | undefined {
    return this.#timelines.get(keyOf(tenantId, timelineId));
  }

  #depsFor(tenantId: TenantId, timelineId: TimelineId): TimelineDeps {
    return { ...this.#options.deps, observer: this.#options.observerFor(tenantId, timelineId) };
  }

  /** Loads every timeline directory; returns how many loaded and how many are broken. */
  async loadAll(): Promise<{ loaded: number; broken: number }> {
    const { dataDir } = this.#options;
    const hexDirs = async (dir: string): Promise<string[]> =>
      (await readdir(dir, { withFileTypes: true }))
        .filter((entry) => entry.isDirectory() && isHexId(entry.name))
        .map((entry) => entry.name);
    for (const tenant of await hexDirs(dataDir)) {
      for (const timeline of await hexDirs(`${dataDir}/${tenant}`)) {
        const ids = { tenantId: tenant as TenantId, timelineId: timeline as TimelineId };
        const loaded = await PageserverTimeline.load(
          dataDir,
          ids,
          this.#depsFor(ids.tenantId, ids.timelineId),
        );
        this.#add(loaded);
      }
    }
    const broken = this.list().filter((timeline) => timeline.isBroken).length;
    return { loaded: this.#timelines.size - broken, broken };
  }

  #add(timeline: PageserverTimeline): void {
    this.#timelines.set(keyOf(timeline.tenantId, timeline.timelineId), timeline);
    this.#options.startTask(`receive ${timeline.tenantId}/${timeline.timelineId}`, (signal) =>
      runReceiveLoop(timeline, signal),
    );
  }

  /** The timeline, created (directory and state file) if it is new. */
  ensure(
    tenantId: TenantId,
    timelineId: TimelineId,
  ): Promise<{ timeline: PageserverTimeline; created: boolean }> {
    return this.#lock.run(async () => {
      const existing = this.get(tenantId, timelineId);
      if (existing !== undefined) return { timeline: existing, created: false };
      if (this.#isClosed) throw new AppError('unavailable', 'the pageserver is stopping');
      if (this.#timelines.size >= TIMELINES_MAX)
        throw new AppError(
          'wrong-state',
          `the pageserver keeps at most ${TIMELINES_MAX} timelines`,
        );
      const timeline = await PageserverTimeline.create(
        this.#options.dataDir,
        { tenantId, timelineId },
        this.#depsFor(tenantId, timelineId),
      );
      this.#add(timeline);
      timeline.log.info('timeline added');
      return { timeline, created: true };
    });
  }

  /** Hands a discovery round to the timelines (new ones are added first). */
  async applyDiscovery(found: readonly DiscoveredTimeline[]): Promise<void> {
    const byKey = new Map<string, SourceCandidate[]>();
    for (const entry of found) {
      const key = keyOf(entry.tenantId, entry.timelineId);
      let candidates = byKey.get(key);
      if (candidates === undefined) {
        candidates = [];
        byKey.set(key, candidates);
        if (this.get(entry.tenantId, entry.timelineId) === undefined && !this.#isClosed)
          await this.ensure(entry.tenantId, entry.timelineId);
      }
      candidates.push(entry.candidate);
    }
    for (const timeline of this.#timelines.values()) {
      timeline.candidates = byKey.get(keyOf(timeline.tenantId, timeline.timelineId)) ?? [];
      const sourceId = timeline.sourceId;
      if (timeline.status === 'streaming' && sourceId !== undefined) {
        const choice = currentChoice(timeline, sourceId);
        if (choice.kind === 'switch') timeline.dropStream(choice.reason);
      } else {
        timeline.wake();
      }
    }
  }

  async closeAll(): Promise<void> {
    this.#isClosed = true;
    await this.#lock.run(() => undefined);
    await Promise.all([...this.#timelines.values()].map((timeline) => timeline.close()));
  }
}
