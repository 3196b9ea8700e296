// `neon_local start`: brings the cluster up with listr2 progress on stderr and prints the status
// table; on failure the error (with the failing component's log tail) is rendered once, for people.
import { BaseCommand } from '../cli/base-command.js';
import { timeoutFlag, timeoutMsFrom } from '../cli/flags.js';
import { renderStartFailure } from '../cli/ui/start-failure-view.js';
import { listrStepRunner } from '../cli/ui/start-runner.js';
import { renderStatusTable } from '../cli/ui/status-view.js';
import { colorEnabled } from '../cli/ui/theme.js';

export default class Start extends BaseCommand<typeof Start> {
  static override summary =
    'Start etcd, remote storage and every safekeeper, and wait until all are ready';
  static override description = `Creates the cluster with defaults first if the repo dir has none. Components start in parallel; components already running are left alone, so start is idempotent. If anything fails, whatever this call started is stopped again and the failing component's last log lines are shown. Exit 5 when a port is in use, 6 when an external etcd or S3 is unreachable, 7 on timeout.`;
  static override examples = [
    '<%= config.bin %> start',
    '<%= config.bin %> start --timeout 60s --json',
  ];
  static override flags = { timeout: timeoutFlag('30s', 'for every component to become ready') };

  public async run(): Promise<void> {
    const cluster = this.cluster();
    const result = await cluster
      .start({ timeoutMs: timeoutMsFrom(this.flags.timeout), runner: listrStepRunner(this.isJson) })
      .catch(async (error: unknown) => {
        throw this.isJson ? error : await renderStartFailure(error, colorEnabled(process.stderr));
      });
    this.output({ repoDir: cluster.repoDir, ...result }, () => {
      if (result.initialized)
        process.stderr.write(`initialised a new cluster in ${cluster.repoDir}\n`);
      process.stdout.write(`${renderStatusTable(result.components, this.outTheme)}\n`);
    });
  }
}
