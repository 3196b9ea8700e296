import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { renderStorageListing } from '../../cli/ui/storage-view.js';
import { terminalColumns } from '../../cli/ui/table.js';

export default class StorageLs extends BaseCommand<typeof StorageLs> {
  static override summary = "List objects in the cluster's bucket, with their sizes";
  static override description =
    'Lists the objects of the [remote_storage] bucket under PREFIX (the whole bucket without ' +
    'one): one level at a time, with the "directories" below it, or every object with ' +
    '--recursive. The safekeepers offload WAL to <prefix>/<tenant>/<timeline>/<segment> ' +
    '(remote_storage.prefix, "safekeeper-wal" by default) and the pageserver uploads to ' +
    'pageserver/<tenant>/<timeline>/. Keys are shown relative to PREFIX, with ids shortened when ' +
    'the table would not fit the terminal (--wide: whole); --json has the full keys. Exits 4 when the bucket does not exist and 6 when the ' +
    'storage does not answer or refuses the credentials.';
  static override examples = [
    '<%= config.bin %> storage ls',
    '<%= config.bin %> storage ls safekeeper-wal/ --recursive',
    '<%= config.bin %> storage ls pageserver/ --recursive --json',
  ];
  static override args = {
    prefix: Args.string({
      description:
        'Key prefix, e.g. safekeeper-wal/ or pageserver/<tenant>/ (default: the bucket root).',
      default: '',
    }),
  };
  static override flags = {
    recursive: Flags.boolean({
      char: 'r',
      description: 'Every object below PREFIX, not one level.',
    }),
    wide: Flags.boolean({
      description: 'Full tenant and timeline ids in keys, whatever the width.',
    }),
  };

  public async run(): Promise<void> {
    const listing = await this.cluster().listStorage(this.args.prefix, {
      recursive: this.flags.recursive,
    });
    this.output(listing, () =>
      process.stdout.write(
        `${renderStorageListing(listing, this.outTheme, {
          widthColumns: terminalColumns(),
          wide: this.flags.wide,
        })}\n`,
      ),
    );
  }
}
