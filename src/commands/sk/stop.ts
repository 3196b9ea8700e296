import { BaseCommand } from '../../cli/base-command.js';
import { parseNodeId, safekeeperIdArg, stopModeFlag } from '../../cli/flags.js';

export default class SkStop extends BaseCommand<typeof SkStop> {
  static override summary = 'Stop one safekeeper';
  static override args = { id: safekeeperIdArg };
  static override flags = { mode: stopModeFlag };

  public async run(): Promise<void> {
    const id = parseNodeId(this.args.id);
    const report = await this.cluster().stopSafekeeper(id, this.flags.mode);
    this.output(report, () => process.stdout.write(`safekeeper ${id}: ${report.detail}\n`));
  }
}
