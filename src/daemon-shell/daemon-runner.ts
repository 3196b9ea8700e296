// The life of a daemon process: signal handlers from the first moment, start-up, supervision
// and the graceful drain. SIGTERM/SIGINT (also one that arrives during start-up) abort every
// supervised task, wait for them under a deadline, run the daemon's cleanup and exit 0; a task
// that ends unexpectedly is logged with its name and the process exits 1; SIGQUIT exits at once.
import { describeError, EXIT_CODES, isAppError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { TaskSupervisor, type TaskFailure } from './task-supervisor.js';

export interface StartedDaemon {
  /** The logger to use from now on (e.g. with the node id bound). */
  readonly log: Logger;
  /** Releases what start-up took (files, locks) after every task has stopped. */
  readonly cleanup: () => Promise<void>;
}

export interface DaemonOptions {
  /** Program name for messages on stderr, e.g. "safekeeper". */
  readonly name: string;
  readonly log: Logger;
  /** How long the tasks get to stop after SIGTERM/SIGINT. */
  readonly drainTimeoutMs: number;
  /** Binds ports and starts the tasks; a throw is a failed start (exit 2 for usage, else 1). */
  readonly start: (supervisor: TaskSupervisor) => Promise<StartedDaemon>;
}

/** Prints `<name>: <error>` and its hints to stderr and exits with the error's code. */
export function exitWithError(name: string, error: unknown, fallbackExitCode: number): never {
  const hints = isAppError(error) ? error.hints.join('\n') : '';
  process.stderr.write(`${name}: ${describeError(error)}\n${hints}\n`);
  process.exit(isAppError(error) ? error.exitCode : fallbackExitCode);
}

/** The period of the timer that keeps the process alive (any long period does). */
const KEEP_ALIVE_INTERVAL_MS = 2 ** 30;

interface StopRequest {
  readonly reason: string;
  readonly exitCode: number;
}

export async function runDaemon(options: DaemonOptions): Promise<void> {
  let log = options.log;
  let requested: StopRequest | undefined;
  let started: StartedDaemon | undefined;
  let stopping = false;
  const supervisor = new TaskSupervisor((failure: TaskFailure) => {
    log.error({ task: failure.task, err: failure.reason }, `task ${failure.task} failed`);
    request({ reason: `task ${failure.task} failed`, exitCode: EXIT_CODES.internal });
  });
  const stop = async (daemon: StartedDaemon, stopRequest: StopRequest): Promise<number> => {
    daemon.log.info({ reason: stopRequest.reason }, 'shutting down');
    const outcome = await supervisor.stopAll(options.drainTimeoutMs);
    let exitCode = stopRequest.exitCode;
    for (const { task, reason } of outcome.failed)
      daemon.log.warn({ task, err: reason }, `task ${task} failed while stopping`);
    if (outcome.unfinished.length > 0) {
      daemon.log.error(
        { tasks: outcome.unfinished, drainTimeoutMs: options.drainTimeoutMs },
        `tasks did not stop within ${options.drainTimeoutMs} ms: ${outcome.unfinished.join(', ')}`,
      );
      exitCode = EXIT_CODES.internal;
    }
    await daemon.cleanup();
    daemon.log.info({ exitCode }, 'stopped');
    return exitCode;
  };
  const maybeStop = (): void => {
    if (stopping || requested === undefined || started === undefined) return;
    stopping = true;
    const daemon = started;
    void stop(daemon, requested)
      .catch((error: unknown) => {
        daemon.log.error({ err: describeError(error) }, 'shutdown failed');
        return EXIT_CODES.internal;
      })
      .then((exitCode) => process.exit(exitCode));
  };
  const request = (stopRequest: StopRequest): void => {
    requested ??= stopRequest;
    maybeStop();
  };
  process.on('SIGTERM', () => request({ reason: 'SIGTERM', exitCode: EXIT_CODES.ok }));
  process.on('SIGINT', () => request({ reason: 'SIGINT', exitCode: EXIT_CODES.ok }));
  process.on('SIGQUIT', () => {
    log.info('SIGQUIT: immediate shutdown');
    process.exit(EXIT_CODES.ok);
  });
  try {
    started = await options.start(supervisor);
  } catch (error) {
    log.error({ err: describeError(error) }, `could not start ${options.name}`);
    await supervisor.stopAll(options.drainTimeoutMs);
    process.exit(
      isAppError(error) && error.code === 'usage' ? EXIT_CODES.usage : EXIT_CODES.internal,
    );
  }
  log = started.log;
  // A daemon lives until it is told to stop, even while every task only awaits a promise.
  setInterval(() => undefined, KEEP_ALIVE_INTERVAL_MS);
  maybeStop();
}

/** Files 0600, directories 0700. */
const PRIVATE_UMASK = 0o077;

/**
 * Everything the daemon creates from now on is private to its owner (WAL, control and state
 * files, logs, stored objects), whatever umask it was started with, as the repo dir is.
 */
export function makeCreatedFilesPrivate(): void {
  process.umask(PRIVATE_UMASK);
}
