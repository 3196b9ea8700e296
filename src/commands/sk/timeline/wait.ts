import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { parseNodeId, timeoutMsFrom, timelineArg, timeoutFlag } from '../../../cli/flags.js';
import { formatDurationMs } from '../../../common/units.js';

export default class SkTimelineWait extends BaseCommand<typeof SkTimelineWait> {
  static override summary = 'Wait until a condition holds on the safekeepers';
  static override description =
    'Waits until every --until condition holds on all safekeepers (or those given with --on). ' +
    'A condition is NAME>=X/Y (quote it: > is a redirection in the shell), NAME one of commit_lsn, flush_lsn, backup_lsn, ' +
    'remote_consistent_lsn, peer_horizon_lsn (the in-memory values the status shows), or ' +
    'trimmed-before=X/Y: no local WAL segment below the one holding X/Y is left. X/Y may be ' +
    '"commit": the highest commit_lsn the safekeepers show when the wait starts. LSN conditions ' +
    "wait on each safekeeper's change events (a long poll), not by polling its status. A " +
    'safekeeper that is down or paused is asked again until --timeout. Exits 0 when all hold, ' +
    "7 at --timeout with each safekeeper's value or state, 4 for an unknown timeline.";
  static override examples = [
    "<%= config.bin %> sk timeline wait 0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6 --until 'commit_lsn>=0/3000000'",
    "<%= config.bin %> sk timeline wait TENANT/TIMELINE --until 'remote_consistent_lsn>=commit' --on 1,2",
    "<%= config.bin %> sk timeline wait TENANT/TIMELINE --until 'backup_lsn>=commit' --until trimmed-before=commit --timeout 2m",
  ];
  static override args = {
    timeline: timelineArg,
  };
  static override flags = {
    until: Flags.string({
      description: 'A condition (repeatable; all must hold): NAME>=X/Y or trimmed-before=X/Y.',
      required: true,
      multiple: true,
    }),
    on: Flags.string({ description: 'Only these safekeepers, e.g. 1,3 (default: all).' }),
    timeout: timeoutFlag('60s', 'on the whole command; exit 7 when it passes'),
  };

  public async run(): Promise<void> {
    const ids =
      this.flags.on === undefined
        ? undefined
        : this.flags.on.split(',').map((id) => parseNodeId(id.trim(), '--on safekeeper id'));
    const timeoutMs = timeoutMsFrom(this.flags.timeout);
    const { outcomes, problem } = await this.cluster().waitFor(
      this.args.timeline,
      this.flags.until,
      {
        timeoutMs,
        ...(ids === undefined ? {} : { safekeepers: ids }),
      },
    );
    this.outputPartial(outcomes, problem, () => {
      for (const outcome of outcomes) {
        const where = outcome.safekeepers.map((state) => state.id).join(', ');
        if (outcome.reached)
          process.stdout.write(
            `${outcome.condition} holds on safekeeper ${where} (after ${formatDurationMs(outcome.waited_ms)})\n`,
          );
      }
    });
  }
}
