import { BaseCommand } from '../../cli/base-command.js';
import { parseNodeId, safekeeperIdArg, timeoutFlag, timeoutMsFrom } from '../../cli/flags.js';

export default class SkStart extends BaseCommand<typeof SkStart> {
  static override summary = 'Start one safekeeper and wait until it is ready';
  static override args = { id: safekeeperIdArg };
  static override flags = { timeout: timeoutFlag('30s', 'for the safekeeper to become ready') };

  public async run(): Promise<void> {
    const id = parseNodeId(this.args.id);
    const report = await this.cluster().startSafekeeper(id, timeoutMsFrom(this.flags.timeout));
    this.output({ id, ...report }, () =>
      process.stdout.write(
        report.started.length > 0
          ? `safekeeper ${id} started\n`
          : `safekeeper ${id} was already running\n`,
      ),
    );
  }
}
