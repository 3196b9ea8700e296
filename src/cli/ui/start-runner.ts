// Runs start steps as a concurrent listr2 task list on stderr: the live renderer on a TTY, the
// simple line renderer otherwise, nothing at all with --json. A failed task shows only the first
// line of its error (the cause); the full error, with any log tail, is rethrown to be shown once.
import type { ListrDefaultRendererLogLevels, ListrLogLevels } from 'listr2';
import type { StepRunner } from '../../cluster/cluster-start.js';
import { describeError } from '../../common/errors.js';

export function listrStepRunner(silent: boolean): StepRunner {
  return async (steps) => {
    if (steps.length === 0) return;
    // The steps start now, not once listr2 is loaded: its import is on the path to every spawn.
    const running = steps.map((step) => ({ title: step.title, result: step.run() }));
    const failures: unknown[] = [];
    if (silent) {
      // Nothing to render: listr2 would only cost its import (~15 ms of CPU) while daemons start.
      await Promise.all(
        running.map(({ result }) => result.catch((error: unknown) => failures.push(error))),
      );
      if (failures.length > 0) throw failures[0];
      return;
    }
    for (const { result } of running) result.catch(() => undefined);
    const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
    const processOutput = new ProcessOutput(process.stderr, process.stderr);
    const defaultLogger = new ListrLogger<ListrDefaultRendererLogLevels>({ processOutput });
    const simpleLogger = new ListrLogger<ListrLogLevels>({ processOutput });
    const renderer = process.stderr.isTTY ? 'default' : 'simple';
    const list = new Listr(
      running.map(({ title, result }) => ({
        title,
        task: async (_context: unknown, task: { title: string | undefined }) => {
          try {
            task.title = `${title}: ${await result}`;
          } catch (error) {
            failures.push(error);
            throw new Error(describeError(error).split('\n', 1)[0] ?? '');
          }
        },
      })),
      {
        concurrent: true,
        exitOnError: false,
        registerSignalListeners: false,
        renderer,
        fallbackRenderer: 'simple',
        rendererOptions: { logger: defaultLogger },
        fallbackRendererOptions: { logger: simpleLogger },
      },
    );
    await list.run();
    // listr2 does not collect errors unless asked to; the first failure is the one to report.
    if (failures.length > 0) throw failures[0];
  };
}
