// A daemon built on the daemon shell for its tests, run as a real process:
// `node shell-daemon-fixture.js SCENARIO`. Each scenario starts tasks that misbehave in one way
// (throw, return, stop slowly, ignore the abort, start slowly) and logs as the daemons do.
import { sleepMs } from '../../src/common/deadline.js';
import { createDaemonLogger } from '../../src/common/log.js';
import { runDaemon } from '../../src/daemon-shell/daemon-runner.js';
import type { TaskSupervisor } from '../../src/daemon-shell/task-supervisor.js';
import { FIXTURE_DRAIN_TIMEOUT_MS, SLOW_STOP_MS } from './shell-daemon-timings.js';

const FAIL_AFTER_MS = 100;
const SLOW_START_MS = 400;

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

const SCENARIOS: Record<string, (supervisor: TaskSupervisor) => Promise<void> | void> = {
  throw: (supervisor) => {
    supervisor.start('steady', untilAborted);
    supervisor.start('doomed', async () => {
      await sleepMs(FAIL_AFTER_MS);
      throw new Error('boom in the doomed task');
    });
  },
  return: (supervisor) => {
    supervisor.start('steady', untilAborted);
    supervisor.start('quitter', () => sleepMs(FAIL_AFTER_MS));
  },
  'slow-stop': (supervisor) => {
    supervisor.start('steady', untilAborted);
    supervisor.start('slow', async (signal) => {
      await untilAborted(signal);
      await sleepMs(SLOW_STOP_MS);
    });
  },
  stuck: (supervisor) => {
    supervisor.start('steady', untilAborted);
    supervisor.start('stuck', () => new Promise(() => setInterval(() => undefined, 60_000)));
  },
  'slow-start': async (supervisor) => {
    await sleepMs(SLOW_START_MS);
    supervisor.start('steady', untilAborted);
  },
};

const scenario = SCENARIOS[process.argv[2] ?? ''];
if (scenario === undefined) {
  process.stderr.write(`usage: shell-daemon-fixture ${Object.keys(SCENARIOS).join('|')}\n`);
  process.exit(2);
}
const log = createDaemonLogger('fixture');
await runDaemon({
  name: 'fixture',
  log,
  drainTimeoutMs: FIXTURE_DRAIN_TIMEOUT_MS,
  start: async (supervisor) => {
    // Logged once the shell handles signals: a test may send one as soon as it reads this.
    log.info('starting');
    await scenario(supervisor);
    log.info({ tasks: supervisor.taskNames }, 'started');
    return { log, cleanup: () => Promise.resolve(log.info('cleaned up')) };
  },
});
