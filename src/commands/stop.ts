import { BaseCommand } from '../cli/base-command.js';
import { stopModeFlag } from '../cli/flags.js';

export default class Stop extends BaseCommand<typeof Stop> {
  static override summary =
    'Stop every component of the cluster (safekeepers, then storage, then etcd)';
  static override description =
    'Exits non-zero if any process survived. Pid files whose pid now belongs to another program are removed, and that program is never signalled.';
  static override examples = ['<%= config.bin %> stop', '<%= config.bin %> stop --mode immediate'];
  static override flags = { mode: stopModeFlag };

  public async run(): Promise<void> {
    const reports = await this.cluster().stop(this.flags.mode);
    this.output(reports, () => {
      for (const report of reports) process.stdout.write(`${report.name}: ${report.detail}\n`);
    });
  }
}
