import { BaseCommand } from '../../cli/base-command.js';
import { parseNodeId, safekeeperIdArg } from '../../cli/flags.js';

export default class SkKill extends BaseCommand<typeof SkKill> {
  static override summary =
    'Fault injection: SIGKILL one safekeeper (a crash: its pid file stays behind)';
  static override args = { id: safekeeperIdArg };

  public async run(): Promise<void> {
    const id = parseNodeId(this.args.id);
    const { pid } = await this.cluster().signalSafekeeper(id, 'kill');
    this.output({ id, pid, action: 'kill' }, () =>
      process.stdout.write(`safekeeper ${id} (pid ${pid}) killed\n`),
    );
  }
}
