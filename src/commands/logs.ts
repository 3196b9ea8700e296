// `neon_local logs`: the last lines of one component's log or of all, optionally followed. JSON
// log lines are rendered for people (see cli/ui/log-renderer.ts) unless --raw or --json; the
// renderer and pino-pretty are loaded only here.
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { loadLogLineRenderer, type LogLineRenderer } from '../cli/ui/log-renderer.js';
import { colorEnabled } from '../cli/ui/theme.js';
import type { ManagedComponent } from '../cluster/components/component.js';
import { followLogs } from '../cluster/log-follow.js';
import { readLogTailAt } from '../cluster/log-tail.js';
import { AppError } from '../common/errors.js';

export default class Logs extends BaseCommand<typeof Logs> {
  static override summary = 'Show (or follow) the logs of one component or of all';
  static override description =
    "COMPONENT is a name from `neon_local status`: etcd, storage, sk1, sk2, ..., pageserver. Without it, every component's log is shown, each line prefixed with its name. JSON log lines are shown as `time LEVEL: component node: msg key=value ...` (times in UTC); other lines as they are. --raw prints the lines as written; --json prints them raw inside JSON. With --follow, Ctrl-C ends the command with exit 0.";
  static override examples = [
    '<%= config.bin %> logs sk2 --lines 100',
    '<%= config.bin %> logs --follow',
    '<%= config.bin %> logs etcd --raw',
  ];
  static override args = { component: Args.string({ description: 'etcd, storage, sk<ID>' }) };
  static override flags = {
    lines: Flags.integer({
      char: 'n',
      description: 'How many of the last lines to show.',
      default: 50,
      min: 0,
      max: 1_000_000,
    }),
    follow: Flags.boolean({
      char: 'f',
      description: 'Keep printing new lines until interrupted (Ctrl-C).',
    }),
    raw: Flags.boolean({
      description: 'Print the log lines exactly as the components wrote them.',
    }),
  };

  public async run(): Promise<void> {
    const cluster = this.cluster();
    const managed = cluster
      .components(await cluster.loadConfig())
      .filter((c): c is ManagedComponent => c.managed);
    const wanted = this.args.component;
    const selected = wanted === undefined ? managed : managed.filter((c) => c.name === wanted);
    if (selected.length === 0) {
      throw new AppError(
        'not-found',
        `no component named "${wanted ?? ''}" with a log in this cluster`,
        {
          hints: [`Known components: ${managed.map((c) => c.name).join(', ')}.`],
        },
      );
    }
    const prefix = (name: string): string =>
      selected.length > 1 ? `${this.outTheme.dim(`[${name}]`)} ` : '';
    const read = await Promise.all(
      selected.map(async (c) => ({
        name: c.name,
        file: c.paths.logFile,
        tail: await readLogTailAt(c.paths.logFile, this.flags.lines),
      })),
    );
    const tails = read.map(({ name, file, tail }) => ({ name, file, lines: tail.lines }));
    if (this.isJson && !this.flags.follow) {
      this.output(tails, () => undefined);
      return;
    }
    const render: LogLineRenderer =
      this.isJson || this.flags.raw
        ? (line) => line
        : await loadLogLineRenderer({ colour: colorEnabled(process.stdout) });
    const print = (name: string, line: string): void => this.printLine(name, render(line), prefix);
    for (const tail of tails) for (const line of tail.lines) print(tail.name, line);
    if (!this.flags.follow) return;
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.once('SIGTERM', () => abort.abort());
    await followLogs(
      // From where each tail ended: a line written meanwhile is printed, not skipped.
      read.map(({ name, file, tail }) => ({ name, path: file, fromOffset: tail.endOffset })),
      print,
      abort.signal,
    );
  }

  private printLine(name: string, line: string, prefix: (name: string) => string): void {
    if (this.isJson) process.stdout.write(`${JSON.stringify({ component: name, line })}\n`);
    else process.stdout.write(`${prefix(name)}${line}\n`);
  }
}
