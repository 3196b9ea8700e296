import { BaseCommand } from '../../cli/base-command.js';
import { parseNodeId, safekeeperIdArg } from '../../cli/flags.js';

export default class SkPause extends BaseCommand<typeof SkPause> {
  static override summary =
    'Fault injection: SIGSTOP one safekeeper (it stops responding but keeps its ports)';
  static override args = { id: safekeeperIdArg };

  public async run(): Promise<void> {
    const id = parseNodeId(this.args.id);
    const { pid } = await this.cluster().signalSafekeeper(id, 'pause');
    this.output({ id, pid, action: 'pause' }, () =>
      process.stdout.write(`safekeeper ${id} (pid ${pid}) paused\n`),
    );
  }
}
