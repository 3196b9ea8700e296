import { BaseCommand } from '../../cli/base-command.js';
import { renderStatusTable } from '../../cli/ui/status-view.js';

export default class SkList extends BaseCommand<typeof SkList> {
  static override summary = 'List the safekeepers with their ports and state';

  public async run(): Promise<void> {
    const status = await this.cluster().status();
    const safekeepers = status.components.filter((c) => c.kind === 'safekeeper');
    this.output(safekeepers, () =>
      process.stdout.write(`${renderStatusTable(safekeepers, this.outTheme)}\n`),
    );
  }
}
