import { BaseCommand } from '../../cli/base-command.js';
import { parseNodeId, safekeeperIdArg } from '../../cli/flags.js';

export default class SkResume extends BaseCommand<typeof SkResume> {
  static override summary = 'Resume a paused safekeeper (SIGCONT)';
  static override args = { id: safekeeperIdArg };

  public async run(): Promise<void> {
    const id = parseNodeId(this.args.id);
    const { pid } = await this.cluster().signalSafekeeper(id, 'resume');
    this.output({ id, pid, action: 'resume' }, () =>
      process.stdout.write(`safekeeper ${id} (pid ${pid}) resumed\n`),
    );
  }
}
