// Start, stop and inspect one component. Knows processes, pid files, ports and readiness; knows
// nothing about the other components (ordering and rollback live in cluster-start.ts).
import { AppError, describeError } from '../common/errors.js';
import { Deadline, pollUntil, sleepMs } from '../common/deadline.js';
import type { Component, ManagedComponent, ReadyProbe } from './components/component.js';
import { appendLogTail, readLogTail } from './log-tail.js';
import { watchFileWrites } from './process/file-writes.js';
import {
  findOwnedPid,
  findOwnedProcess,
  ownedProcessStat,
  removePidFile,
  writePidFile,
} from './process/pid-file.js';
import { findPortHolder, isPortFree } from './process/ports.js';
import { procStateOf, uptimeMsOf, type ProcStat } from './process/proc-info.js';
import { spawnDaemon, type LaunchSpec, type ReadyNotice } from './process/spawn-daemon.js';
import {
  DEFAULT_STOP_LIMITS,
  stopProcess,
  type StopLimits,
  type StopMode,
} from './process/stop-process.js';
import { makePrivateDir } from './private-files.js';

export const STATUS_PROBE_TIMEOUT_MS = 1000;
const READY_POLL_INTERVAL_MS = 25;
/** Between probes while the log is watched: a write to it (the daemon says it started) wakes earlier. */
const READY_POLL_WATCHED_INTERVAL_MS = 100;
const READY_PROBE_TIMEOUT_MS = 500;
const FAILURE_LOG_LINES = 20;
const PORT_RELEASE_TIMEOUT_MS = 3000;

export type ComponentState = 'ready' | 'not-responding' | 'down';

export interface ComponentStatus {
  readonly name: string;
  readonly kind: Component['kind'];
  readonly description: string;
  readonly managed: boolean;
  readonly endpoint: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly pid: number | null;
  readonly state: ComponentState;
  readonly paused: boolean;
  readonly uptimeMs: number | null;
  readonly detail: string;
  readonly logFile: string | null;
}

function describedBy(component: Component) {
  return {
    name: component.name,
    kind: component.kind,
    description: component.description,
    managed: component.managed,
    endpoint: component.endpoint,
    ports: component.ports,
  };
}

/** The status of a managed component whose process runs, from its /proc stat and an answer. */
async function runningStatus(
  component: ManagedComponent,
  owned: { readonly pid: number; readonly stat: ProcStat },
  probe: ReadyProbe,
): Promise<ComponentStatus> {
  const uptimeMs = await uptimeMsOf(owned.stat);
  return {
    ...describedBy(component),
    pid: owned.pid,
    state: probe.ready ? 'ready' : 'not-responding',
    paused: procStateOf(owned.stat) === 'paused',
    uptimeMs: uptimeMs ?? null,
    detail: probe.detail,
    logFile: component.paths.logFile,
  };
}

export async function inspectComponent(
  component: Component,
  probeTimeoutMs = STATUS_PROBE_TIMEOUT_MS,
): Promise<ComponentStatus> {
  const base = describedBy(component);
  if (!component.managed) {
    const probe = await component.probe(probeTimeoutMs);
    return {
      ...base,
      pid: null,
      state: probe.ready ? 'ready' : 'not-responding',
      paused: false,
      uptimeMs: null,
      detail: probe.detail,
      logFile: null,
    };
  }
  const owned = await findOwnedProcess(component.paths.pidFile, component.identity);
  const logFile = component.paths.logFile;
  if (owned === undefined) {
    return {
      ...base,
      pid: null,
      state: 'down',
      paused: false,
      uptimeMs: null,
      detail: 'no pid',
      logFile,
    };
  }
  const probe: ReadyProbe =
    procStateOf(owned.stat) === 'paused'
      ? { ready: false, detail: 'stopped by SIGSTOP: answers nothing until continued' }
      : await component.probe(probeTimeoutMs);
  return runningStatus(component, owned, probe);
}

/**
 * The status of a component this process just saw become ready: its readiness answer and what
 * /proc says of the pid it spawned, without asking the component again. Down, as
 * inspectComponent would say, if the process is gone or no longer ours by now.
 */
export async function statusAtReady(
  component: ManagedComponent,
  pid: number,
  probe: ReadyProbe,
): Promise<ComponentStatus> {
  const stat = await ownedProcessStat(pid, component.identity);
  if (stat === undefined) return inspectComponent(component);
  return runningStatus(component, { pid, stat }, probe);
}

/** Fails with exit 5 naming every port of these components that something else holds. */
export async function checkPortsFree(components: readonly ManagedComponent[]): Promise<void> {
  // All ports at once, a bind each (the config reader refuses a port given twice); the conflicts
  // are named in the components' order.
  const checks = components.flatMap((component) =>
    Object.entries(component.ports).map(async ([role, port]) => {
      if (await isPortFree(port)) return undefined;
      const holder = await findPortHolder(port);
      const by = holder === undefined ? 'another process' : `pid ${holder.pid} (${holder.command})`;
      return `port ${port} (${component.name} ${role}) is in use by ${by}`;
    }),
  );
  const conflicts = (await Promise.all(checks)).filter(
    (conflict): conflict is string => conflict !== undefined,
  );
  if (conflicts.length > 0) {
    throw new AppError('port-in-use', `could not start: ${conflicts.join('; ')}`, {
      hints: [
        "Stop the process holding the port, or choose other ports with `neon_local init --force --port-offset N` (this removes the cluster's data).",
      ],
    });
  }
}

/**
 * The line of a daemon's readiness notice, or undefined if the deadline passes first (or the
 * daemon closed the descriptor without one: it exited, or failed before it was ready).
 */
async function noticeBefore(notice: ReadyNotice, deadline: Deadline): Promise<string | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      notice.line,
      sleepMs(deadline.remainingMs(), timer.signal).then(() => undefined),
    ]);
  } finally {
    timer.abort();
    notice.close();
  }
}

/**
 * Resolves with the answer that said the component is ready. A daemon just spawned with a
 * readiness notice (`notice`) is asked nothing: its notice is read as its probe's answer would
 * be. Without a notice, or when that notice does not come or does not say ready, the component's
 * probe is polled until it answers, the deadline passes, or `hasExited` reports that the process
 * is gone: for our daemons whenever their log file is written and at least every
 * READY_POLL_WATCHED_INTERVAL_MS, otherwise (etcd, MinIO, or when the log cannot be watched) at
 * once and then every READY_POLL_INTERVAL_MS. The error carries the last answer and the tail of
 * the component's log.
 */
export async function waitReady(
  component: ManagedComponent,
  deadline: Deadline,
  hasExited: () => string | undefined = () => undefined,
  notice?: ReadyNotice,
): Promise<ReadyProbe> {
  const fromNotice = component.readinessFromNotice;
  if (notice !== undefined && fromNotice !== undefined) {
    const line = await noticeBefore(notice, deadline);
    const answer = line === undefined ? undefined : fromNotice(line);
    if (answer?.ready === true) return answer;
  }
  // The poll below probes at least once, so the error always carries a probe's answer.
  let lastDetail = 'not probed yet';
  const logWrites = fromNotice === undefined ? undefined : watchFileWrites(component.paths.logFile);
  const watching = logWrites?.watching === true;
  const outcome = await pollUntil(
    async () => {
      if (hasExited() !== undefined) return 'exited' as const;
      const probe = await component.probe(
        Math.min(READY_PROBE_TIMEOUT_MS, Math.max(1, deadline.remainingMs())),
      );
      lastDetail = probe.detail;
      return probe.ready ? probe : undefined;
    },
    {
      timeoutMs: deadline.remainingMs(),
      intervalMs: watching ? READY_POLL_WATCHED_INTERVAL_MS : READY_POLL_INTERVAL_MS,
      ...(logWrites && { wake: () => logWrites.nextWrite() }),
    },
  ).finally(() => logWrites?.close());
  if (outcome !== undefined && outcome !== 'exited') return outcome;
  const tail = await readLogTail(component.paths.logFile, FAILURE_LOG_LINES);
  const withTail = (cause: string): string => appendLogTail(cause, component.paths.logFile, tail);
  const exitedHow = hasExited();
  if (exitedHow !== undefined) {
    throw new AppError(
      'start-failed',
      withTail(`could not start ${component.name}: ${exitedHow} before it was ready`),
    );
  }
  throw new AppError(
    'timed-out',
    withTail(`could not start ${component.name}: not ready in time (${lastDetail})`),
  );
}

/** Creates the component's directories and builds its launch spec: all that precedes the spawn. */
export async function prepareLaunch(component: ManagedComponent): Promise<LaunchSpec> {
  await makePrivateDir(component.paths.homeDir);
  await makePrivateDir(component.paths.dataDir);
  return component.launchSpec();
}

/**
 * Spawns the component and waits until it is ready; resolves with its pid, the answer that said
 * ready, and its exit (a promise settled whenever it exits, with how). `onSpawned` runs as soon
 * as the process exists,
 * so a caller can stop it even if readiness never comes. `prepared` is prepareLaunch's result
 * when the caller has already started it (see startComponents).
 */
export async function launchComponent(
  component: ManagedComponent,
  deadline: Deadline,
  onSpawned: (pid: number) => void,
  prepared: Promise<LaunchSpec> = prepareLaunch(component),
): Promise<{
  readonly pid: number;
  readonly readyProbe: ReadyProbe;
  readonly exited: Promise<string>;
}> {
  const spec = await prepared;
  let daemon;
  try {
    daemon = await spawnDaemon(spec, { readyNotice: component.readinessFromNotice !== undefined });
  } catch (error) {
    throw new AppError(
      'start-failed',
      `could not start ${component.name}: ${describeError(error)}`,
      { cause: error },
    );
  }
  onSpawned(daemon.pid);
  if (!component.writesOwnPidFile) await writePidFile(component.paths.pidFile, daemon.pid);
  let exitedHow: string | undefined;
  void daemon.exited.then((how) => (exitedHow = how));
  const readyProbe = await waitReady(component, deadline, () => exitedHow, daemon.readyNotice);
  await component.afterReady(Math.max(1000, deadline.remainingMs()));
  return { pid: daemon.pid, readyProbe, exited: daemon.exited };
}

export interface StopReport {
  readonly name: string;
  readonly pid: number | null;
  readonly wasRunning: boolean;
  readonly stopped: boolean;
  readonly escalated: boolean;
  readonly detail: string;
}

export async function stopComponent(
  component: ManagedComponent,
  mode: StopMode,
  limits: StopLimits = DEFAULT_STOP_LIMITS,
): Promise<StopReport> {
  const pid = await findOwnedPid(component.paths.pidFile, component.identity);
  const report = (stopped: boolean, escalated: boolean, detail: string): StopReport => ({
    name: component.name,
    pid: pid ?? null,
    wasRunning: pid !== undefined,
    stopped,
    escalated,
    detail,
  });
  if (pid === undefined) {
    // Missing, unreadable or stale (pid reused by another program): never signal it.
    await removePidFile(component.paths.pidFile);
    return report(true, false, 'not running');
  }
  const outcome = await stopProcess(pid, mode, limits);
  if (!outcome.stopped) return report(false, outcome.escalated, `pid ${pid} survived SIGKILL`);
  await removePidFile(component.paths.pidFile);
  const portsFree = await pollUntil(
    async () =>
      (await Promise.all(Object.values(component.ports).map((port) => isPortFree(port)))).every(
        Boolean,
      )
        ? true
        : undefined,
    { timeoutMs: PORT_RELEASE_TIMEOUT_MS, intervalMs: READY_POLL_INTERVAL_MS },
  );
  const detail = outcome.escalated ? 'did not stop in time: killed (SIGKILL)' : 'stopped';
  if (portsFree === undefined) {
    return report(false, outcome.escalated, `${detail}, but its ports are still in use`);
  }
  return report(true, outcome.escalated, detail);
}
