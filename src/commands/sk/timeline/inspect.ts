import { Flags } from '@oclif/core';
import { timelineArg } from '../../../cli/flags.js';
import { BaseCommand } from '../../../cli/base-command.js';
import { localeIsUtf8, renderInspect } from '../../../cli/ui/inspect-view.js';
import { terminalColumns } from '../../../cli/ui/table.js';
import type { InspectRound } from '../../../cluster/timeline-inspect.js';

export default class SkTimelineInspect extends BaseCommand<typeof SkTimelineInspect> {
  static override summary =
    'One screen about a timeline: safekeepers, pageserver, S3, offload, trimming';
  static override description =
    "Gathers, from every safekeeper's admin API, the pageserver, etcd and the bucket: per " +
    'safekeeper its state, term and epoch, flush/commit/backup/peer horizon/remote consistent ' +
    'LSNs (in memory, and under them as saved in its control file), local segments, removal ' +
    'horizon, the consumer holding it back and the bytes it pins, its broker (etcd) connection, ' +
    "its offload role and the state of its uploads; the pageserver's " +
    "received, durable and uploaded LSNs and its source; the bucket's segments, gaps and wrong " +
    'sizes; the offload leader from etcd; and an LSN ruler of the segments on each disk and in ' +
    'S3 with markers for commit, backup, remote consistent and the horizon. It fits the ' +
    'terminal; ASCII without a UTF-8 locale, no colour without a TTY or with NO_COLOR. --watch ' +
    'redraws it every second until Ctrl-C. A down or paused safekeeper is shown as such; the ' +
    'exit is 6 then (the rest is still shown).';
  static override examples = [
    '<%= config.bin %> sk timeline inspect 0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6',
    '<%= config.bin %> sk timeline inspect TENANT/TIMELINE --watch',
    '<%= config.bin %> sk timeline inspect TENANT/TIMELINE --json',
  ];
  static override args = {
    timeline: timelineArg,
  };
  static override flags = {
    watch: Flags.boolean({ description: 'Redraw every second until Ctrl-C.' }),
  };

  public async run(): Promise<void> {
    const draw = ({ document, problem }: InspectRound): void =>
      this.outputPartial(document, problem, () =>
        process.stdout.write(
          `${renderInspect(document, this.outTheme, {
            widthColumns: Math.min(terminalColumns(), 160),
            unicode: localeIsUtf8(),
          })}\n`,
        ),
      );
    if (!this.flags.watch || this.isJson) {
      draw(await this.cluster().inspect(this.args.timeline));
      return;
    }
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    await this.cluster().watchInspect(this.args.timeline, { signal: stop.signal }, (round) => {
      process.stdout.write('\u001b[H\u001b[2J');
      draw(round);
    });
    process.exitCode = 0;
  }
}
