import { Flags } from '@oclif/core';
import { timelineArg } from '../../../cli/flags.js';
import { BaseCommand } from '../../../cli/base-command.js';
import { localeIsUtf8, renderInspect } from '../../../cli/ui/inspect-view.js';
import { terminalColumns, truncateVisible } from '../../../cli/ui/table.js';
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
    watch: Flags.boolean({
      description:
        'Redraw every second until Ctrl-C (in place on a terminal; piped, one frame after another).',
    }),
  };

  public async run(): Promise<void> {
    // On a terminal --watch redraws in place: home, each line cleared to its end, then the rest
    // of the screen (no blank flash between frames); piped, frames follow each other.
    const inPlace = this.flags.watch && !this.isJson && process.stdout.isTTY;
    const unicode = localeIsUtf8();
    const draw = (round: InspectRound): void => {
      // Per frame: the terminal may have been resized.
      const widthColumns = Math.min(terminalColumns(), 160);
      if (inPlace) {
        this.drawInPlace(round, widthColumns, unicode);
        return;
      }
      this.outputPartial(round.document, round.problem, () => {
        const text = renderInspect(round.document, this.outTheme, { widthColumns, unicode });
        process.stdout.write(`${text}\n${this.flags.watch ? '\n' : ''}`);
      });
    };
    if (!this.flags.watch || this.isJson) {
      draw(await this.cluster().inspect(this.args.timeline));
      return;
    }
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    if (inPlace) process.stdout.write('\u001b[2J');
    await this.cluster().watchInspect(this.args.timeline, { signal: stop.signal }, draw);
    process.exitCode = 0;
  }

  /**
   * One frame of --watch on a terminal: home, each line cleared to its end, then the rest of the
   * screen. The frame fits the screen: the view drops its least useful lines, then its end is cut
   * (as watch(1)). A safekeeper's problem (paused, down) is the frame's last lines, cut to the
   * width: written after it, on stderr, it would scroll the frame's top away every second.
   */
  private drawInPlace(
    { document, problem }: InspectRound,
    widthColumns: number,
    unicode: boolean,
  ): void {
    const rows = process.stdout.rows > 1 ? process.stdout.rows - 1 : Number.POSITIVE_INFINITY;
    const problemLines =
      problem === undefined
        ? []
        : this.errorTextLines(problem, this.outTheme).map((line) =>
            truncateVisible(line, widthColumns),
          );
    const viewRows = Math.max(0, rows - problemLines.length);
    const view = renderInspect(document, this.outTheme, {
      widthColumns,
      unicode,
      heightRows: viewRows,
    });
    const lines = [...view.split('\n').slice(0, viewRows), ...problemLines];
    process.stdout.write(`\u001b[H${lines.join('\u001b[K\n')}\u001b[K\n\u001b[J`);
  }
}
