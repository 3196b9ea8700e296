import { BaseCommand } from '../cli/base-command.js';
import { renderStatusTable } from '../cli/ui/status-view.js';

export default class Status extends BaseCommand<typeof Status> {
  static override summary = 'Show every component: state, pid, ports, uptime';
  static override description =
    'A component is ready when its health check answers (etcd /health, the bucket, safekeeper /v1/status). A paused component shows as not responding.';
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];

  public async run(): Promise<void> {
    const status = await this.cluster().status();
    this.output(status, () =>
      process.stdout.write(`${renderStatusTable(status.components, this.outTheme)}\n`),
    );
  }
}
