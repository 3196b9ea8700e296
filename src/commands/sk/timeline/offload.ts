import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { timeoutMsFrom, timelineArg, timeoutFlag } from '../../../cli/flags.js';
import { formatSizeBytes } from '../../../common/units.js';

export default class SkTimelineOffload extends BaseCommand<typeof SkTimelineOffload> {
  static override summary = 'Offload the complete WAL segments of a timeline to S3 now';
  static override description =
    'Asks every safekeeper to offload TIMELINE now: the one leading its offload election (in ' +
    'etcd) uploads every complete segment to <remote_storage.prefix>/<tenant>/<timeline>/ and ' +
    'advances backup_lsn after each; the others answer who leads or why they may not. The ' +
    'segment still being written is never offloaded. With --wait it returns once backup_lsn ' +
    'reached the end of the last complete segment and every segment object is in the bucket ' +
    'with the right size. Exits 5 when the safekeepers do not offload (wal_backup = false), 6 ' +
    'when one did not answer, 7 at --timeout with the reason (no leader elected, no eligible ' +
    'safekeeper, S3 failing).';
  static override examples = [
    '<%= config.bin %> sk timeline offload 0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6 --wait',
    '<%= config.bin %> sk timeline offload TENANT/TIMELINE --wait --timeout 2m --json',
  ];
  static override args = {
    timeline: timelineArg,
  };
  static override flags = {
    wait: Flags.boolean({
      description:
        'Wait until backup_lsn is at the last complete segment and the objects are there.',
    }),
    timeout: timeoutFlag('60s', 'on the whole command; exit 7 when it passes'),
  };

  public async run(): Promise<void> {
    const { result, problem } = await this.cluster().offload(this.args.timeline, {
      wait: this.flags.wait,
      timeoutMs: timeoutMsFrom(this.flags.timeout),
    });
    this.outputPartial(result, problem, () => {
      const done = result.backup_lsn === result.target_lsn;
      const leader =
        result.leader_node_id !== null
          ? `leader: safekeeper ${result.leader_node_id}`
          : done
            ? 'everything complete is offloaded'
            : 'no leader elected yet';
      const lines = [
        `${result.tenant_id}/${result.timeline_id}: backup_lsn ${result.backup_lsn} of ${result.target_lsn} (${leader})`,
      ];
      if (result.objects !== null)
        lines.push(
          `${result.objects.count} segment ${result.objects.count === 1 ? 'object' : 'objects'} in the bucket, ${formatSizeBytes(result.objects.bytes)}, each of the right size`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  }
}
