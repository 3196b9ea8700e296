// All timelines of this safekeeper, by tenant and timeline id. At start every
// `<data dir>/<tenant hex>/<timeline hex>/` is loaded; one that cannot be (a corrupt control
// file, say) is kept as "broken" with its error, and the others keep working. Creation goes
// through a temp directory renamed into place, so a crash never leaves a half-created timeline.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { writeControlFileAtomically } from '../control-file/control-file-store.js';
import { join } from 'node:path';
import { AppError, describeError, isAppError } from '../../common/errors.js';
import { AsyncMutex } from '../../common/async-mutex.js';
import { fsyncPath } from '../../common/fsync-path.js';
import { pathExists } from '../../common/path-exists.js';
import { isHexId, type TenantId, type TimelineId } from '../../common/hex-id.js';
import type { Logger } from '../../common/log.js';
import {
  initialSafekeeperState,
  type PeerInfo,
  type ServerInfo,
} from '../control-file/safekeeper-state.js';
import { Timeline, type TimelineObserver, type TimelineOptions } from './timeline.js';

const CREATING_PREFIX = '.creating-';

export type TimelineEntry =
  | { readonly kind: 'loaded'; readonly timeline: Timeline }
  | { readonly kind: 'broken'; readonly error: AppError };

type RegistryEntry = TimelineEntry & { tenantId: TenantId; timelineId: TimelineId };

export interface DeleteResult {
  readonly dir_existed: boolean;
  readonly was_active: boolean;
}

export interface RegistryOptions {
  readonly dataDir: string;
  readonly noSync: boolean;
  readonly controlFileSaveIntervalMs: number;
  /** WAL is offloaded to remote storage: backup_lsn bounds every timeline's removal horizon. */
  readonly walBackupConfigured: boolean;
  readonly log: Logger;
  readonly observerFor?: (tenantId: TenantId, timelineId: TimelineId) => TimelineObserver;
  readonly onDeleted?: (tenantId: TenantId, timelineId: TimelineId) => void;
}

function key(tenantId: string, timelineId: string): string {
  return `${tenantId}/${timelineId}`;
}

export class TimelineRegistry {
  private readonly entries = new Map<string, RegistryEntry>();
  /** Serialises creation and deletion (rare, and racing them is never useful). */
  private readonly membership = new AsyncMutex();
  /** Told about every timeline created at run time (deletion closes it: its events say so). */
  private readonly createdListeners = new Set<(timeline: Timeline) => void>();

  constructor(private readonly options: RegistryOptions) {}

  private timelineOptions(tenantId: TenantId, timelineId: TimelineId): TimelineOptions {
    const observer = this.options.observerFor?.(tenantId, timelineId);
    return {
      noSync: this.options.noSync,
      controlFileSaveIntervalMs: this.options.controlFileSaveIntervalMs,
      walBackupConfigured: this.options.walBackupConfigured,
      log: this.options.log.child({ tenant: tenantId, timeline: timelineId }),
      ...(observer === undefined ? {} : { observer }),
    };
  }

  /** Loads every timeline directory; returns how many loaded and how many are broken. */
  async loadAll(): Promise<{ loaded: number; broken: number }> {
    let loaded = 0;
    let broken = 0;
    for (const tenantName of await readdir(this.options.dataDir)) {
      if (!isHexId(tenantName)) continue;
      const tenantDir = join(this.options.dataDir, tenantName);
      if (!(await stat(tenantDir)).isDirectory()) continue;
      for (const timelineName of await readdir(tenantDir)) {
        if (timelineName.startsWith(CREATING_PREFIX)) {
          await rm(join(tenantDir, timelineName), { recursive: true, force: true });
          continue;
        }
        if (!isHexId(timelineName)) continue;
        const entry = await this.loadOne(tenantName as TenantId, timelineName as TimelineId);
        if (entry.kind === 'loaded') loaded++;
        else broken++;
      }
    }
    return { loaded, broken };
  }

  private async loadOne(tenantId: TenantId, timelineId: TimelineId): Promise<TimelineEntry> {
    const dir = join(this.options.dataDir, tenantId, timelineId);
    const options = this.timelineOptions(tenantId, timelineId);
    let entry: TimelineEntry;
    try {
      const timeline = await Timeline.load(dir, options);
      const state = timeline.state;
      if (state.tenantId !== tenantId || state.timelineId !== timelineId)
        throw new AppError(
          'integrity',
          `control file in ${dir} belongs to ${state.tenantId}/${state.timelineId}`,
        );
      entry = { kind: 'loaded', timeline };
    } catch (error) {
      const appError = isAppError(error)
        ? error
        : new AppError('internal', `could not load timeline: ${describeError(error)}`, {
            cause: error,
          });
      options.log.error({ err: appError.message, code: appError.code }, 'timeline is broken');
      entry = { kind: 'broken', error: appError };
    }
    this.entries.set(key(tenantId, timelineId), { ...entry, tenantId, timelineId });
    return entry;
  }

  /** Calls `listener` with each timeline created from now on, until the returned function is called. */
  onCreated(listener: (timeline: Timeline) => void): () => void {
    this.createdListeners.add(listener);
    return () => this.createdListeners.delete(listener);
  }

  get(tenantId: TenantId, timelineId: TimelineId): TimelineEntry | undefined {
    return this.entries.get(key(tenantId, timelineId));
  }

  /** The loaded timeline or the reason it is not available (not-found, or the load error). */
  require(tenantId: TenantId, timelineId: TimelineId): Timeline {
    const entry = this.get(tenantId, timelineId);
    if (entry === undefined)
      throw new AppError('not-found', `timeline ${tenantId}/${timelineId} does not exist`);
    if (entry.kind === 'broken') throw entry.error;
    return entry.timeline;
  }

  list(
    tenantId?: TenantId,
  ): { tenantId: TenantId; timelineId: TimelineId; entry: TimelineEntry }[] {
    return [...this.entries.entries()]
      .filter(([, entry]) => tenantId === undefined || entry.tenantId === tenantId)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, entry]) => ({ tenantId: entry.tenantId, timelineId: entry.timelineId, entry }));
  }

  loadedTimelines(): Timeline[] {
    return [...this.entries.values()].flatMap((entry) =>
      entry.kind === 'loaded' ? [entry.timeline] : [],
    );
  }

  async create(
    tenantId: TenantId,
    timelineId: TimelineId,
    server: ServerInfo,
    peers: readonly PeerInfo[],
  ): Promise<Timeline> {
    return this.membership.run(() => this.createLocked(tenantId, timelineId, server, peers));
  }

  /** The timeline, created first if it does not exist (a walproposer's greeting does this). */
  async requireOrCreate(
    tenantId: TenantId,
    timelineId: TimelineId,
    server: ServerInfo,
  ): Promise<Timeline> {
    if (this.get(tenantId, timelineId) !== undefined) return this.require(tenantId, timelineId);
    return this.membership.run(async () => {
      if (this.get(tenantId, timelineId) !== undefined) return this.require(tenantId, timelineId);
      return this.createLocked(tenantId, timelineId, server, []);
    });
  }

  private async createLocked(
    tenantId: TenantId,
    timelineId: TimelineId,
    server: ServerInfo,
    peers: readonly PeerInfo[],
  ): Promise<Timeline> {
    const tenantDir = join(this.options.dataDir, tenantId);
    const finalDir = join(tenantDir, timelineId);
    if (this.entries.has(key(tenantId, timelineId)) || (await pathExists(finalDir)))
      throw new AppError('wrong-state', `timeline ${tenantId}/${timelineId} already exists`);
    const tempDir = join(tenantDir, CREATING_PREFIX + timelineId);
    await mkdir(tenantDir, { recursive: true });
    await rm(tempDir, { recursive: true, force: true });
    await mkdir(tempDir);
    const state = initialSafekeeperState(tenantId, timelineId, server, peers);
    const options = this.timelineOptions(tenantId, timelineId);
    await writeControlFileAtomically(tempDir, state, Timeline.controlFileOptions(options));
    await rename(tempDir, finalDir);
    if (!this.options.noSync) await fsyncPath(tenantDir);
    const timeline = await Timeline.load(finalDir, options);
    this.entries.set(key(tenantId, timelineId), {
      kind: 'loaded',
      timeline,
      tenantId,
      timelineId,
    });
    options.log.info('timeline created');
    for (const listener of this.createdListeners) listener(timeline);
    return timeline;
  }

  async delete(tenantId: TenantId, timelineId: TimelineId): Promise<DeleteResult> {
    return this.membership.run(() => this.deleteLocked(tenantId, timelineId));
  }

  private async deleteLocked(tenantId: TenantId, timelineId: TimelineId): Promise<DeleteResult> {
    const entry = this.entries.get(key(tenantId, timelineId));
    const wasActive = entry?.kind === 'loaded' && entry.timeline.isActive;
    if (entry?.kind === 'loaded') await entry.timeline.close();
    this.entries.delete(key(tenantId, timelineId));
    const dir = join(this.options.dataDir, tenantId, timelineId);
    const dirExisted = await pathExists(dir);
    await rm(dir, { recursive: true, force: true });
    if (entry !== undefined) this.options.onDeleted?.(tenantId, timelineId);
    if (dirExisted)
      this.options.log.info({ tenant: tenantId, timeline: timelineId }, 'timeline deleted');
    return { dir_existed: dirExisted, was_active: wasActive };
  }

  async deleteTenant(tenantId: TenantId): Promise<Record<string, DeleteResult>> {
    return this.membership.run(async () => {
      const results: Record<string, DeleteResult> = {};
      for (const { timelineId } of this.list(tenantId))
        results[timelineId] = await this.deleteLocked(tenantId, timelineId);
      await rm(join(this.options.dataDir, tenantId), { recursive: true, force: true });
      return results;
    });
  }

  /** A clean stop: every timeline persists what it holds in memory, then closes. */
  async closeAll(): Promise<void> {
    await Promise.all(
      this.loadedTimelines().map((timeline) => timeline.close({ persistInmem: true })),
    );
  }
}
