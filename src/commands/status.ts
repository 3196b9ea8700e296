import { BaseCommand } from '../cli/base-command.js';
import { renderStatusTable } from '../cli/ui/status-view.js';
import { AppError } from '../common/errors.js';
import type { ComponentStatus } from '../cluster/lifecycle.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show every component: state, pid, ports, uptime';
  static override description =
    'A component is ready when its health check answers (etcd /health, the bucket, safekeeper ' +
    '/v1/status, pageserver /v1/status); a paused one shows as paused (it answers nothing). Exits 0 when every component ' +
    'is ready and 6 when any is down or not responding, after printing the whole table (with ' +
    '--json, the document carries "result" and an "error" naming them), like `pg_ctl status`.';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --json',
    '<%= config.bin %> status >/dev/null && echo all ready',
  ];

  public async run(): Promise<void> {
    const status = await this.cluster().status();
    const notReady = status.components.filter((component) => component.state !== 'ready');
    const problem =
      notReady.length === 0
        ? undefined
        : new AppError(
            'unavailable',
            `not ready: ${notReady.map((c) => `${c.name} (${c.paused ? 'paused' : c.state.replace('-', ' ')})`).join(', ')}`,
            { hints: statusHints(notReady) },
          );
    this.outputPartial(status, problem, () =>
      process.stdout.write(`${renderStatusTable(status.components, this.outTheme)}\n`),
    );
  }
}

/** What to do about what is not ready: resume what is paused, start what is down. */
function statusHints(notReady: readonly ComponentStatus[]): string[] {
  const paused = notReady.filter((c) => c.paused);
  const hints = paused.map((c) =>
    /^sk\d+$/.test(c.name)
      ? `Resume ${c.name} with \`neon_local sk resume ${c.name.slice(2)}\`.`
      : `Resume ${c.name} with \`kill -CONT ${c.pid ?? ''}\`.`,
  );
  if (paused.length < notReady.length)
    hints.push('Start what is down with `neon_local start`; see `neon_local logs NAME`.');
  return hints;
}
