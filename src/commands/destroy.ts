import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';

export default class Destroy extends BaseCommand<typeof Destroy> {
  static override summary = 'Remove the repo dir and all cluster data';
  static override description =
    'Refuses while components run unless --force is given, in which case they are killed first.';
  static override flags = {
    force: Flags.boolean({ description: 'Kill running components, then remove everything.' }),
  };

  public async run(): Promise<void> {
    const cluster = this.cluster();
    const reports = await cluster.destroy({ force: this.flags.force });
    this.output({ repoDir: cluster.repoDir, stopped: reports }, () =>
      process.stdout.write(`removed ${cluster.repoDir}\n`),
    );
  }
}
