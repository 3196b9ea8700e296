// The task supervisor of a daemon: named long-running tasks, each started with its own
// AbortSignal. A task that ends (returns or throws) while the daemon is not stopping is a
// failure the supervisor reports once, with the task's name; stopping aborts every task and
// waits for them under a deadline. It never exits the process itself (daemon-runner.ts does).
import { describeError } from '../common/errors.js';

export type TaskBody = (signal: AbortSignal) => Promise<void>;

export interface TaskFailure {
  readonly task: string;
  /** The error the task threw, or a description of its unexpected return. */
  readonly reason: string;
  readonly error: unknown;
}

export interface StopOutcome {
  /** Tasks that had not finished when the deadline passed. */
  readonly unfinished: readonly string[];
  /** Tasks that threw while stopping (name and error). */
  readonly failed: readonly { readonly task: string; readonly reason: string }[];
}

interface RunningTask {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

export class TaskSupervisor {
  private readonly tasks = new Map<string, RunningTask>();
  private readonly stopFailures: { task: string; reason: string }[] = [];
  private stopping = false;

  /** `onFailure` hears about the first task that ends unexpectedly (and any after it). */
  constructor(private readonly onFailure: (failure: TaskFailure) => void) {}

  get taskNames(): readonly string[] {
    return [...this.tasks.keys()];
  }

  /** Starts `body` as the task `name` (names are unique while the task runs). */
  start(name: string, body: TaskBody): void {
    if (this.tasks.has(name)) throw new Error(`task ${name} is already running`);
    if (this.stopping) throw new Error(`cannot start task ${name}: the daemon is stopping`);
    const controller = new AbortController();
    const done = Promise.resolve()
      .then(() => body(controller.signal))
      .then(
        () => this.ended(name, undefined, 'it returned while the daemon was running'),
        (error: unknown) => this.ended(name, error, describeError(error)),
      );
    this.tasks.set(name, { controller, done });
  }

  private ended(name: string, error: unknown, reason: string): void {
    this.tasks.delete(name);
    if (this.stopping) {
      if (error !== undefined) this.stopFailures.push({ task: name, reason });
      return;
    }
    this.onFailure({ task: name, reason, error });
  }

  /** Aborts every task and waits for them, at most `deadlineMs`. */
  async stopAll(deadlineMs: number): Promise<StopOutcome> {
    this.stopping = true;
    const running = [...this.tasks.entries()];
    for (const [, task] of running) task.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.all(running.map(([, task]) => task.done)), deadline]);
    clearTimeout(timer);
    return { unfinished: [...this.tasks.keys()], failed: [...this.stopFailures] };
  }
}
