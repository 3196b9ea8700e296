import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { timeoutMsFrom } from '../../cli/flags.js';
import { formatSizeBytes, parseSizeBytes } from '../../common/units.js';

export default class WalPush extends BaseCommand<typeof WalPush> {
  static override summary = 'Push generated PostgreSQL WAL to the safekeepers as a walproposer';
  static override description =
    'Acts as a compute: connects to every safekeeper of the cluster, is elected in a new term ' +
    '(catching up safekeepers that lag or diverge from the most advanced one), then streams ' +
    'genuine PostgreSQL 15 WAL (logical-message records) and exits 0 once all of it is ' +
    'committed by a quorum. Prints the LSNs where the pushed WAL starts and ends. Exits 7 at ' +
    '--timeout if no quorum commits it; WAL is never reported committed before a quorum has ' +
    'flushed it. A second push continues the timeline where the first ended.';
  static override examples = [
    '<%= config.bin %> wal push de200bd42b49cc1814412c7e592dd6e9/0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6 --size 64MiB',
    '<%= config.bin %> wal push 0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6 --size 16MiB --rate 4MiB/s --json',
  ];
  static override args = {
    timeline: Args.string({
      description: 'TENANT/TIMELINE, or a timeline id the safekeepers hold under one tenant.',
      required: true,
    }),
  };
  static override flags = {
    size: Flags.string({ description: 'How much WAL to push.', default: '64MiB' }),
    'record-size': Flags.string({ description: 'Size of each WAL record.', default: '8KiB' }),
    rate: Flags.string({ description: 'At most this much WAL per second (e.g. 16MiB/s).' }),
    timeout: Flags.string({ description: 'Give up (exit 7) after this long.', default: '60s' }),
    'wal-seg-size': Flags.string({
      description: 'Segment size for a timeline no safekeeper has WAL settings for yet.',
      default: '16MiB',
    }),
    create: Flags.boolean({
      description:
        'Create the timeline if no safekeeper knows it (without it, an unknown TENANT/TIMELINE is refused with exit 4).',
    }),
  };

  public async run(): Promise<void> {
    const rate = this.flags.rate?.replace(/\/s$/, '');
    const onEvent = this.isJson
      ? undefined
      : (message: string): void => void process.stderr.write(`${this.errTheme.dim(message)}\n`);
    const result = await this.cluster().pushWal(this.args.timeline, {
      sizeBytes: parseSizeBytes(this.flags.size, '--size'),
      recordSizeBytes: parseSizeBytes(this.flags['record-size'], '--record-size'),
      timeoutMs: timeoutMsFrom(this.flags.timeout),
      segmentSizeBytes: parseSizeBytes(this.flags['wal-seg-size'], '--wal-seg-size'),
      create: this.flags.create,
      ...(rate === undefined ? {} : { rateBytesPerSecond: parseSizeBytes(rate, '--rate') }),
      ...(onEvent === undefined ? {} : { onEvent }),
    });
    this.output(result, () =>
      process.stdout.write(
        `pushed ${formatSizeBytes(result.bytes)} of WAL to ${result.tenant_id}/${result.timeline_id} in term ${result.term}: ` +
          `${result.start_lsn}..${result.end_lsn}, committed up to ${result.commit_lsn} (${result.mib_per_second} MiB/s)\n`,
      ),
    );
  }
}
