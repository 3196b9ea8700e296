import { BaseCommand } from '../../cli/base-command.js';
import {
  parseNodeId,
  safekeeperIdArg,
  stopModeFlag,
  timeoutFlag,
  timeoutMsFrom,
} from '../../cli/flags.js';

export default class SkRestart extends BaseCommand<typeof SkRestart> {
  static override summary = 'Stop one safekeeper, start it again and wait until it is ready';
  static override args = { id: safekeeperIdArg };
  static override flags = {
    mode: stopModeFlag,
    timeout: timeoutFlag('30s', 'for the safekeeper to become ready'),
  };

  public async run(): Promise<void> {
    const id = parseNodeId(this.args.id);
    const report = await this.cluster().restartSafekeeper(
      id,
      this.flags.mode,
      timeoutMsFrom(this.flags.timeout),
    );
    this.output({ id, ...report }, () => process.stdout.write(`safekeeper ${id} restarted\n`));
  }
}
