import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { timeoutMsFrom, timelineArg, timeoutFlag } from '../../cli/flags.js';
import { createProgressLine } from '../../cli/ui/progress-line.js';
import type { PushProgress } from '../../cluster/wal-push.js';
import { formatLsn } from '../../postgres/lsn.js';
import { formatDurationMs, formatSizeBytes, parseSizeBytes } from '../../common/units.js';

export default class WalPush extends BaseCommand<typeof WalPush> {
  static override summary = 'Push generated PostgreSQL WAL to the safekeepers as a walproposer';
  static override description =
    'Acts as a compute: connects to every safekeeper of the cluster, is elected in a new term ' +
    '(catching up safekeepers that lag or diverge from the most advanced one), then streams ' +
    'genuine PostgreSQL 15 WAL (logical-message records) and exits 0 once all of it is ' +
    'committed by a quorum. Prints the LSNs where the pushed WAL starts and ends, and the ' +
    'streaming rate (the wait for a quorum is reported apart). On a terminal a live line shows ' +
    'pushed and committed MiB; a safekeeper going down or coming back is one line each. ' +
    'WAL is never reported committed before a quorum has flushed it; a second push continues ' +
    'the timeline where the first ended. Exits 4 for a TENANT/TIMELINE no safekeeper knows ' +
    '(unless --create), 6 when no safekeeper runs, 7 at --timeout (or at once when --rate ' +
    'cannot finish within it).';
  static override examples = [
    '<%= config.bin %> wal push de200bd42b49cc1814412c7e592dd6e9/0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6 --size 64MiB',
    '<%= config.bin %> wal push 0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6 --size 16MiB --rate 4MiB/s --json',
  ];
  static override args = {
    timeline: timelineArg,
  };
  static override flags = {
    size: Flags.string({
      description: 'How much WAL to push (B, KiB, MiB, GiB).',
      default: '64MiB',
    }),
    'record-size': Flags.string({ description: 'Size of each WAL record.', default: '8KiB' }),
    rate: Flags.string({ description: 'At most this much WAL per second (e.g. 16MiB/s).' }),
    timeout: timeoutFlag('60s', 'on the whole command; exit 7 when it passes'),
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
    const progress = createProgressLine(process.stderr, !this.isJson);
    const onEvent = this.isJson
      ? undefined
      : (message: string): void => progress.message(this.errTheme.dim(message));
    const onProgress = (state: PushProgress): void => progress.update(progressText(state));
    try {
      const result = await this.cluster().pushWal(this.args.timeline, {
        sizeBytes: parseSizeBytes(this.flags.size, '--size'),
        recordSizeBytes: parseSizeBytes(this.flags['record-size'], '--record-size'),
        timeoutMs: timeoutMsFrom(this.flags.timeout),
        segmentSizeBytes: parseSizeBytes(this.flags['wal-seg-size'], '--wal-seg-size'),
        create: this.flags.create,
        onProgress,
        ...(rate === undefined ? {} : { rateBytesPerSecond: parseSizeBytes(rate, '--rate') }),
        ...(onEvent === undefined ? {} : { onEvent }),
      });
      progress.done();
      this.output(result, () =>
        process.stdout.write(
          `pushed ${formatSizeBytes(result.bytes)} of WAL to ${result.tenant_id}/${result.timeline_id} in term ${result.term}: ` +
            `${result.start_lsn}..${result.end_lsn}, committed up to ${result.commit_lsn}\n` +
            `streamed at ${result.mib_per_second} MiB/s in ${formatDurationMs(result.streaming_ms)}` +
            ` after ${formatDurationMs(result.quorum_wait_ms)} waiting for a quorum\n` +
            result.safekeepers
              .flatMap((sk) =>
                sk.missing === null
                  ? []
                  : [`safekeeper ${sk.id} does not have all of it: ${sk.missing}\n`],
              )
              .join(''),
        ),
      );
    } finally {
      progress.done();
    }
  }
}

function progressText(state: PushProgress): string {
  const seconds = Math.max(state.streamingMs, 1) / 1000;
  const mibPerSecond = state.committedBytes / 1048576 / seconds;
  return (
    `pushed ${formatSizeBytes(state.pushedBytes)}, committed ${formatSizeBytes(state.committedBytes)}` +
    ` (${mibPerSecond.toFixed(1)} MiB/s), commit_lsn ${formatLsn(state.commitLsn)}`
  );
}
