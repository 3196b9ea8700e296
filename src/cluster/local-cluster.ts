// LocalCluster: the control plane's public face, used by the CLI commands and by test setups
// (`import { LocalCluster } from 'neon-local'`). Every mutating operation holds the repo lock.
import { rm, writeFile } from 'node:fs/promises';
import { AppError } from '../common/errors.js';
import {
  startComponents,
  startComponentsWithStatus,
  runStepsInParallel,
  type StartReport,
} from './cluster-start.js';
import type { StorageListing } from './storage-ops.js';
import type { WaitOutcome } from './timeline-wait.js';
import type { InspectRound } from './timeline-inspect.js';
import type { OffloadResult } from './wal-offload.js';
import type { TrimResult } from './wal-trim.js';
import type { Component, ManagedComponent } from './components/component.js';
import { etcdComponent } from './components/etcd.js';
import { pageserverComponent, pageserverHttpUrl } from './components/pageserver.js';
import type { CheckpointResult } from './pageserver-ops.js';
import type { PageserverTimelineDocument } from '../protocol/pageserver-status.js';
import { safekeeperComponent } from './components/safekeeper.js';
import { storageComponent } from './components/storage.js';
import { findSafekeeper, type ClusterConfig } from './config.js';
import type { WalPushResult } from './wal-push.js';
import type { CreatedTimeline, CreateTimelineOptions, PushWalOptions } from './timeline-api.js';
import type { TimelineListEntry, TimelineStatus } from '../protocol/timeline-status.js';
import { createConfigText, type InitOptions } from './init.js';
import { inspectComponent, stopComponent, type StopReport } from './lifecycle.js';
import { findOwnedPid } from './process/pid-file.js';
import { stopProcess, type StopMode } from './process/stop-process.js';
import {
  clearRepoDir,
  clusterEnv,
  inspectRepoDir,
  loadConfig,
  withRepoLock,
  writeEnvFile,
} from './repo.js';
import { RepoLayout, resolveRepoDir } from './repo-layout.js';
import type { SafekeeperAnswer, SafekeeperSet } from './safekeeper-fanout.js';
import type { TimelineRef } from './cluster-timelines.js';
import { checkRepoDirPrivacy, makePrivateDir, PRIVATE_FILE_MODE } from './private-files.js';
import { stopOnExit } from './exit-cleanup.js';
import {
  toNodeId,
  type ClusterStatus,
  type LocalClusterOptions,
  type SafekeeperRef,
  type SafekeeperSignal,
  type StartOptions,
  type StartResult,
} from './local-cluster-types.js';

export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_CHECKPOINT_TIMEOUT_MS = 60_000;

export type {
  ClusterStatus,
  LocalClusterOptions,
  SafekeeperRef,
  SafekeeperSignal,
  StartOptions,
  StartResult,
};

export class LocalCluster implements AsyncDisposable {
  readonly layout: RepoLayout;
  private readonly stopDaemonsOnExit: boolean;

  constructor(repoDir?: string, options: LocalClusterOptions = {}) {
    this.layout = new RepoLayout(resolveRepoDir(repoDir));
    this.stopDaemonsOnExit = options.stopOnExit ?? true;
  }

  /** `await using cluster = new LocalCluster(dir)`: stopped (fast) at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    if ((await inspectRepoDir(this.layout)) !== 'ours') return;
    await this.stop('fast');
  }

  /** Tracks the pids of `started` components for stopOnExit. */
  private async trackStarted(components: readonly Component[], started: readonly string[]) {
    if (!this.stopDaemonsOnExit) return;
    for (const component of components) {
      if (!component.managed || !started.includes(component.name)) continue;
      const pid = await findOwnedPid(component.paths.pidFile, component.identity);
      if (pid !== undefined) stopOnExit(pid, component.identity);
    }
  }

  get repoDir(): string {
    return this.layout.repoDir;
  }

  loadConfig(): Promise<ClusterConfig> {
    return loadConfig(this.layout);
  }

  /** The safekeepers to ask (safekeeper-fanout.ts): the config and where their pid files are. */
  async safekeeperSet(config?: ClusterConfig): Promise<SafekeeperSet> {
    return { config: config ?? (await this.loadConfig()), layout: this.layout };
  }

  /** etcd, storage, the safekeepers in config order, then the pageserver (when enabled). */
  components(config: ClusterConfig): Component[] {
    return [
      etcdComponent(config, this.layout),
      storageComponent(config, this.layout),
      ...config.safekeepers.map((sk) => safekeeperComponent(config, this.layout, sk)),
      ...(config.pageserver.enabled ? [pageserverComponent(config, this.layout)] : []),
    ];
  }

  private managed(config: ClusterConfig): ManagedComponent[] {
    return this.components(config).filter(
      (component): component is ManagedComponent => component.managed,
    );
  }

  async init(options: InitOptions & { force?: boolean } = {}): Promise<ClusterConfig> {
    return withRepoLock(this.layout, () => this.initLocked(options), { createDir: true });
  }

  private async initLocked(options: InitOptions & { force?: boolean }): Promise<ClusterConfig> {
    if ((await inspectRepoDir(this.layout)) === 'ours') {
      if (options.force !== true) {
        throw new AppError('wrong-state', `${this.repoDir} already holds a neon_local cluster`, {
          hints: [
            'Use `neon_local start` to run it, or `neon_local init --force` to replace it (its data is lost).',
          ],
        });
      }
      const running = await this.runningComponents(await this.loadConfig().catch(() => undefined));
      if (running.length > 0) {
        throw new AppError(
          'wrong-state',
          `cannot re-initialise ${this.repoDir}: ${running.join(', ')} still running`,
          {
            hints: ['Stop the cluster first with `neon_local stop`.'],
          },
        );
      }
      await clearRepoDir(this.layout);
    }
    const { text, config } = await createConfigText(options, new Date());
    await writeFile(this.layout.configFile, text, { mode: PRIVATE_FILE_MODE });
    await writeEnvFile(this.layout, config);
    for (const component of this.managed(config)) await makePrivateDir(component.paths.dataDir);
    return config;
  }

  private async runningComponents(config: ClusterConfig | undefined): Promise<string[]> {
    if (config === undefined) return [];
    const managed = this.managed(config);
    const owned = await Promise.all(managed.map((c) => findOwnedPid(c.paths.pidFile, c.identity)));
    return managed.filter((_, index) => owned[index] !== undefined).map((c) => c.name);
  }

  async start(options: StartOptions = {}): Promise<StartResult> {
    return withRepoLock(
      this.layout,
      async () => {
        await checkRepoDirPrivacy(this.repoDir);
        const initialized = (await inspectRepoDir(this.layout)) !== 'ours';
        if (initialized) await this.initLocked(options.init ?? {});
        const config = await this.loadConfig();
        await writeEnvFile(this.layout, config);
        const components = this.components(config);
        const { report, statuses } = await startComponentsWithStatus(
          components,
          options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS,
          options.runner ?? runStepsInParallel,
        );
        await this.trackStarted(components, report.started);
        return { initialized, ...report, components: statuses };
      },
      { createDir: true },
    );
  }

  /**
   * Stops the pageserver first (it consumes the safekeepers), then the safekeepers, storage and
   * etcd. Throws (after trying all) if any survived.
   */
  async stop(mode: StopMode = 'fast'): Promise<StopReport[]> {
    return withRepoLock(this.layout, async () => {
      const managed = this.managed(await this.loadConfig());
      const reports = await Promise.all(
        managed.filter((c) => c.kind === 'pageserver').map((c) => stopComponent(c, mode)),
      );
      reports.push(
        ...(await Promise.all(
          managed.filter((c) => c.kind === 'safekeeper').map((c) => stopComponent(c, mode)),
        )),
      );
      for (const kind of ['storage', 'etcd'] as const) {
        for (const component of managed.filter((c) => c.kind === kind))
          reports.push(await stopComponent(component, mode));
      }
      assertAllStopped(reports);
      return reports;
    });
  }

  async status(): Promise<ClusterStatus> {
    const config = await this.loadConfig();
    const components = await Promise.all(this.components(config).map((c) => inspectComponent(c)));
    return {
      repoDir: this.repoDir,
      ready: components.every((c) => c.state === 'ready'),
      components,
    };
  }

  /** Stops everything and removes the repo dir. Without `force`, refuses while anything runs. */
  async destroy(options: { force?: boolean } = {}): Promise<StopReport[]> {
    return withRepoLock(this.layout, async () => {
      const config = await this.loadConfig();
      const running = await this.runningComponents(config);
      if (running.length > 0 && options.force !== true) {
        throw new AppError(
          'wrong-state',
          `cannot destroy ${this.repoDir}: ${running.join(', ')} still running`,
          {
            hints: ['Stop the cluster first, or pass --force to kill it and remove everything.'],
          },
        );
      }
      const reports = await Promise.all(
        this.managed(config).map((c) => stopComponent(c, 'immediate')),
      );
      assertAllStopped(reports);
      await rm(this.repoDir, { recursive: true, force: true });
      return reports;
    });
  }

  env(config: ClusterConfig): Record<string, string> {
    return clusterEnv(this.layout, config);
  }

  private safekeeper(config: ClusterConfig, id: SafekeeperRef): ManagedComponent {
    return safekeeperComponent(config, this.layout, findSafekeeper(config, toNodeId(id)));
  }

  async startSafekeeper(
    id: SafekeeperRef,
    timeoutMs = DEFAULT_START_TIMEOUT_MS,
  ): Promise<StartReport> {
    return withRepoLock(this.layout, async () => {
      const component = this.safekeeper(await this.loadConfig(), id);
      const report = await startComponents([component], timeoutMs, runStepsInParallel);
      await this.trackStarted([component], report.started);
      return report;
    });
  }

  async stopSafekeeper(id: SafekeeperRef, mode: StopMode = 'fast'): Promise<StopReport> {
    return withRepoLock(this.layout, async () => {
      const report = await stopComponent(this.safekeeper(await this.loadConfig(), id), mode);
      assertAllStopped([report]);
      return report;
    });
  }

  async restartSafekeeper(
    id: SafekeeperRef,
    mode: StopMode = 'fast',
    timeoutMs = DEFAULT_START_TIMEOUT_MS,
  ): Promise<StartReport> {
    return withRepoLock(this.layout, async () => {
      const component = this.safekeeper(await this.loadConfig(), id);
      assertAllStopped([await stopComponent(component, mode)]);
      const report = await startComponents([component], timeoutMs, runStepsInParallel);
      await this.trackStarted([component], report.started);
      return report;
    });
  }

  /** Fault injection: SIGKILL (crash, pid file left behind), SIGSTOP, SIGCONT. */
  async signalSafekeeper(id: SafekeeperRef, action: SafekeeperSignal): Promise<{ pid: number }> {
    return withRepoLock(this.layout, async () => {
      const component = this.safekeeper(await this.loadConfig(), id);
      const pid = await findOwnedPid(component.paths.pidFile, component.identity);
      if (pid === undefined) {
        throw new AppError('wrong-state', `safekeeper ${id} is not running`, {
          hints: [`Start it with \`neon_local sk start ${id}\`.`],
        });
      }
      if (action === 'kill') {
        const outcome = await stopProcess(pid, 'immediate');
        if (!outcome.stopped)
          throw new AppError('stop-failed', `safekeeper ${id} (pid ${pid}) survived SIGKILL`);
      } else {
        process.kill(pid, action === 'pause' ? 'SIGSTOP' : 'SIGCONT');
      }
      return { pid };
    });
  }

  /** The safekeepers and TIMELINE (`TENANT/TIMELINE` or a bare id) resolved against them. */
  private async timelineTarget(
    timeline: string,
  ): Promise<{ set: SafekeeperSet; ref: TimelineRef }> {
    const set = await this.safekeeperSet();
    const { resolveTimelineRef } = await import('./cluster-timelines.js');
    return { set, ref: await resolveTimelineRef(set, timeline) };
  }

  /** Creates a timeline on every (or the given) safekeeper; ids are generated when omitted. */
  async createTimeline(options: CreateTimelineOptions = {}): Promise<CreatedTimeline> {
    const api = await import('./timeline-api.js');
    return api.createTimeline(await this.safekeeperSet(), options);
  }

  /** What each safekeeper holds; throws (naming them) when one is down or paused. */
  async listTimelines(): Promise<SafekeeperAnswer<TimelineListEntry[]>[]> {
    const api = await import('./timeline-api.js');
    return api.listTimelines(await this.safekeeperSet());
  }

  /** The status document of TIMELINE on one safekeeper. */
  async timelineStatus(timeline: string, safekeeper: SafekeeperRef): Promise<TimelineStatus> {
    const api = await import('./timeline-api.js');
    return api.timelineStatus(await this.safekeeperSet(), timeline, toNodeId(safekeeper));
  }

  /**
   * Makes the pageserver upload what it holds of TIMELINE and report it as ps_applylsn; with
   * `wait`, resolves once the safekeeper it streams from shows it as remote_consistent_lsn.
   */
  async pageserverCheckpoint(
    timeline: string,
    options: { readonly wait?: boolean; readonly timeoutMs?: number } = {},
  ): Promise<CheckpointResult> {
    const { set, ref } = await this.timelineTarget(timeline);
    const { checkpointTimeline } = await import('./pageserver-ops.js');
    return checkpointTimeline(set, ref, {
      wait: options.wait ?? false,
      timeoutMs: options.timeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS,
    });
  }

  /** What the pageserver knows of each timeline (received, durable, uploaded, source). */
  async pageserverTimelines(): Promise<PageserverTimelineDocument[]> {
    const { PageserverClient } = await import('../client/pageserver-client.js');
    const config = await this.loadConfig();
    if (!config.pageserver.enabled)
      throw new AppError(
        'wrong-state',
        'this cluster runs no pageserver ([pageserver] enabled = false)',
      );
    return new PageserverClient(pageserverHttpUrl(config)).listTimelines();
  }

  /**
   * Waits until every condition (`commit_lsn>=X/Y`, `trimmed-before=commit`, ...: see
   * timeline-wait.ts) holds on all (or the given) safekeepers, at most `timeoutMs` (60 s).
   * Resolves with each condition's outcome and, when one did not hold in time, the timed-out
   * error naming each safekeeper's value (not thrown: the outcomes say how far it got).
   */
  async waitFor(
    timeline: string,
    conditions: readonly string[],
    options: { readonly safekeepers?: readonly SafekeeperRef[]; readonly timeoutMs?: number } = {},
  ): Promise<{ outcomes: WaitOutcome[]; problem: AppError | undefined }> {
    const wait = await import('./timeline-wait.js');
    const parsed = conditions.map((text) => wait.parseWaitCondition(text));
    const { set, ref } = await this.timelineTarget(timeline);
    const ids = (options.safekeepers ?? set.config.safekeepers.map((sk) => sk.id)).map(toNodeId);
    const timeoutMs = options.timeoutMs ?? 60_000;
    const outcomes = await wait.waitForConditions(set, ref, parsed, { ids, timeoutMs });
    return { outcomes, problem: wait.waitTimeoutError(outcomes, timeoutMs) };
  }

  /**
   * Asks the safekeepers to offload TIMELINE's complete segments now; with `wait`, resolves once
   * backup_lsn is at the last complete segment and every object is in the bucket. A timeout or
   * a safekeeper that did not answer is `problem` (the result says how far it got).
   */
  async offload(
    timeline: string,
    options: { readonly wait?: boolean; readonly timeoutMs?: number } = {},
  ): Promise<{ result: OffloadResult; problem: AppError | undefined }> {
    const { set, ref } = await this.timelineTarget(timeline);
    const { offloadTimeline } = await import('./wal-offload.js');
    return offloadTimeline(set, ref, {
      wait: options.wait ?? false,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
  }

  /**
   * What each safekeeper may remove of TIMELINE now and, unless `dryRun`, removes it; `problem`
   * is exit 5 when nothing may go anywhere (naming the blockers) or 6 for a silent safekeeper.
   */
  async trim(
    timeline: string,
    options: {
      readonly dryRun?: boolean;
      readonly wait?: boolean;
      readonly timeoutMs?: number;
    } = {},
  ): Promise<{ result: TrimResult; problem: AppError | undefined }> {
    const { set, ref } = await this.timelineTarget(timeline);
    const { trimTimeline, trimProblem, confirmTrimmed } = await import('./wal-trim.js');
    const result = await trimTimeline(set, ref, {
      dryRun: options.dryRun ?? false,
    });
    const problem = trimProblem(result);
    if (problem !== undefined || options.wait !== true || options.dryRun === true)
      return { result, problem };
    return { result, problem: await confirmTrimmed(set, result, options.timeoutMs ?? 60_000) };
  }

  /**
   * One document about TIMELINE from every safekeeper, the pageserver, etcd and the bucket;
   * `problem` names a safekeeper or the pageserver that did not answer (the rest is there).
   */
  async inspect(timeline: string): Promise<InspectRound> {
    const { set, ref } = await this.timelineTarget(timeline);
    const { inspectTimeline } = await import('./timeline-inspect.js');
    return inspectTimeline(set, ref);
  }

  /**
   * Inspects TIMELINE every `intervalMs` (default 1 s) until `signal` aborts, calling `onRound`
   * with each round's document and problem (what `sk timeline inspect --watch` draws).
   */
  async watchInspect(
    timeline: string,
    options: { readonly signal: AbortSignal; readonly intervalMs?: number },
    onRound: (round: InspectRound) => void,
  ): Promise<void> {
    const { set, ref } = await this.timelineTarget(timeline);
    const { watchTimeline } = await import('./timeline-inspect.js');
    await watchTimeline(
      set,
      ref,
      { intervalMs: options.intervalMs ?? 1000, signal: options.signal },
      onRound,
    );
  }

  /** The objects of the cluster's bucket under `prefix` (one level, or all with `recursive`). */
  async listStorage(
    prefix = '',
    options: { readonly recursive?: boolean } = {},
  ): Promise<StorageListing> {
    const { listStorage } = await import('./storage-ops.js');
    return listStorage(await this.loadConfig(), prefix, options.recursive ?? false, this.layout);
  }

  /**
   * Pushes generated WAL as a walproposer (a new term) and resolves once a quorum committed all
   * of it, with `wal push`'s defaults (64 MiB, 8 KiB records, 60 s; an unknown TENANT/TIMELINE
   * needs `create: true`). TIMELINE is `TENANT/TIMELINE` or a bare timeline id.
   */
  async pushWal(timeline: string, options: PushWalOptions = {}): Promise<WalPushResult> {
    // Loaded on use: the walproposer and the HTTP client are not needed by the fast commands.
    const api = await import('./timeline-api.js');
    return api.pushWalWithDefaults(await this.safekeeperSet(), timeline, options);
  }
}

function assertAllStopped(reports: readonly StopReport[]): void {
  const survivors = reports.filter((report) => !report.stopped);
  if (survivors.length > 0) {
    throw new AppError(
      'stop-failed',
      `could not stop ${survivors.map((r) => `${r.name} (${r.detail})`).join(', ')}`,
      {
        hints: ['Look at the process with `ps` and the component log with `neon_local logs NAME`.'],
      },
    );
  }
}
