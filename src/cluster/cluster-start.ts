// Bringing a set of components up together: check external dependencies and ports first, launch
// everything in parallel, and if anything fails stop whatever this call started, so a failed
// start leaves nothing running that was not running before.
import { AppError, describeError, isAppError } from '../common/errors.js';
import { Deadline } from '../common/deadline.js';
import type { Component, ManagedComponent, ReadyProbe } from './components/component.js';
import {
  checkPortsFree,
  inspectComponent,
  type ComponentStatus,
  launchComponent,
  prepareLaunch,
  statusAtReady,
  waitReady,
} from './lifecycle.js';
import { removePidFile } from './process/pid-file.js';
import { stopProcess } from './process/stop-process.js';

export interface StartStep {
  readonly title: string;
  /** Resolves with a short note ("ready in 80ms"); rejects with an AppError. */
  run(): Promise<string>;
}

/** Runs every step (concurrently) and rejects if any failed. The CLI passes a listr2 runner. */
export type StepRunner = (steps: readonly StartStep[]) => Promise<void>;

export const runStepsInParallel: StepRunner = async (steps) => {
  const results = await Promise.allSettled(steps.map((step) => step.run()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
};

export interface StartReport {
  readonly started: readonly string[];
  readonly alreadyRunning: readonly string[];
}

export interface StartWithStatus {
  readonly report: StartReport;
  /** Every component's status, in the order given (see startComponentsWithStatus). */
  readonly statuses: readonly ComponentStatus[];
}

const EXTERNAL_PROBE_TIMEOUT_MS = 3000;

async function checkExternal(components: readonly Component[]): Promise<void> {
  for (const component of components) {
    if (component.managed) continue;
    const probe = await component.probe(EXTERNAL_PROBE_TIMEOUT_MS);
    if (!probe.ready) {
      throw new AppError(
        'unavailable',
        `${component.description} at ${component.endpoint} is not available: ${probe.detail}`,
        {
          hints: [
            'Check that it is running and reachable, or remove it from the config to let neon_local start its own.',
          ],
        },
      );
    }
  }
}

async function waitStillStarting(component: ManagedComponent, deadline: Deadline): Promise<string> {
  await waitReady(component, deadline);
  return 'was already starting; now ready';
}

export async function startComponents(
  components: readonly Component[],
  timeoutMs: number,
  runner: StepRunner,
): Promise<StartReport> {
  return (await startAndInspect(components, timeoutMs, runner, false)).report;
}

/**
 * startComponents, and the status of every component when it is over. A component this call
 * starts (or waits for) is inspected as soon as it is ready, while the others still start, and
 * again at the end only if its process has exited since; the others are inspected at the end.
 * So the status table costs no wait after the last component is ready.
 */
export function startComponentsWithStatus(
  components: readonly Component[],
  timeoutMs: number,
  runner: StepRunner,
): Promise<StartWithStatus> {
  return startAndInspect(components, timeoutMs, runner, true);
}

interface Classified {
  readonly alreadyRunning: readonly ManagedComponent[];
  readonly starting: readonly ManagedComponent[];
  readonly toLaunch: readonly ManagedComponent[];
}

/** Sorts the managed components by what they need; refuses paused ones. */
async function classify(components: readonly Component[]): Promise<Classified> {
  const managed = components.filter(
    (component): component is ManagedComponent => component.managed,
  );
  const statuses = await Promise.all(managed.map((component) => inspectComponent(component)));
  const paused = statuses.filter((status) => status.paused).map((status) => status.name);
  if (paused.length > 0) {
    throw new AppError(
      'wrong-state',
      `${paused.join(', ')} ${paused.length === 1 ? 'is' : 'are'} paused`,
      {
        hints: ['Resume it with `neon_local sk resume ID`, or stop it first.'],
      },
    );
  }
  const withState = (state: ComponentStatus['state']) =>
    managed.filter((_, index) => statuses[index]?.state === state);
  return {
    alreadyRunning: withState('ready'),
    starting: withState('not-responding'),
    toLaunch: withState('down'),
  };
}

/** The status noted when ready, unless the process has exited since; a fresh look otherwise. */
function statusesAtEnd(
  components: readonly Component[],
  atReady: ReadonlyMap<string, ComponentStatus>,
  exitedSinceReady: ReadonlySet<string>,
): Promise<ComponentStatus[]> {
  return Promise.all(
    components.map((component) => {
      const status = atReady.get(component.name);
      return status === undefined || exitedSinceReady.has(component.name)
        ? inspectComponent(component)
        : Promise.resolve(status);
    }),
  );
}

async function startAndInspect(
  components: readonly Component[],
  timeoutMs: number,
  runner: StepRunner,
  inspect: boolean,
): Promise<StartWithStatus> {
  await checkExternal(components);
  const { alreadyRunning, starting, toLaunch } = await classify(components);
  await Promise.all(toLaunch.map((component) => removePidFile(component.paths.pidFile)));
  await checkPortsFree(toLaunch);

  const deadline = new Deadline(timeoutMs);
  // Directories and launch specs first, for every component, so that the steps then spawn all
  // the processes in one go: no event-loop turn (nor a child that took the CPU meanwhile) between
  // two spawns. A failure here still surfaces in its component's step.
  const prepared = new Map(toLaunch.map((component) => [component, prepareLaunch(component)]));
  await Promise.allSettled(prepared.values());
  const spawned = new Map<string, number>();
  const atReady = new Map<string, ComponentStatus>();
  const exitedSinceReady = new Set<string>();
  const noteReady = async (component: ManagedComponent): Promise<void> => {
    if (inspect) atReady.set(component.name, await inspectComponent(component));
  };
  const noteLaunched = async (
    component: ManagedComponent,
    pid: number,
    readyProbe: ReadyProbe,
  ): Promise<void> => {
    if (inspect) atReady.set(component.name, await statusAtReady(component, pid, readyProbe));
  };
  const running: Promise<string>[] = [];
  const track = (work: () => Promise<string>) => () => {
    const promise = work();
    running.push(promise);
    return promise;
  };
  const steps: StartStep[] = [
    ...toLaunch.map((component) => ({
      title: component.description,
      run: track(async () => {
        const begunAt = Date.now();
        const { pid, readyProbe, exited } = await launchComponent(
          component,
          deadline,
          (pid) => spawned.set(component.name, pid),
          prepared.get(component),
        );
        const note = `ready in ${Date.now() - begunAt}ms`;
        void exited.then(() => exitedSinceReady.add(component.name));
        await noteLaunched(component, pid, readyProbe);
        return note;
      }),
    })),
    ...starting.map((component) => ({
      title: component.description,
      run: track(async () => {
        const note = await waitStillStarting(component, deadline);
        await noteReady(component);
        return note;
      }),
    })),
  ];
  try {
    await runner(steps);
  } catch (error) {
    await Promise.allSettled(running);
    await rollBack(toLaunch, spawned);
    if (isAppError(error)) throw error;
    throw new AppError('start-failed', `could not start the cluster: ${describeError(error)}`, {
      cause: error,
    });
  }
  const report = {
    started: toLaunch.map((component) => component.name),
    alreadyRunning: alreadyRunning.map((component) => component.name),
  };
  if (!inspect) return { report, statuses: [] };
  const atEnd = await statusesAtEnd(components, atReady, exitedSinceReady);
  return { report, statuses: atEnd };
}

async function rollBack(
  launched: readonly ManagedComponent[],
  spawned: ReadonlyMap<string, number>,
): Promise<void> {
  await Promise.all(
    launched.map(async (component) => {
      const pid = spawned.get(component.name);
      if (pid === undefined) return;
      await stopProcess(pid, 'immediate');
      await removePidFile(component.paths.pidFile);
    }),
  );
}
