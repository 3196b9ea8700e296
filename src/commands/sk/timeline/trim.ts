import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { timeoutMsFrom, timelineArg, timeoutFlag } from '../../../cli/flags.js';
import { formatSizeBytes } from '../../../common/units.js';
import { failureLabel } from '../../../cluster/safekeeper-fanout.js';
import type { SegmentRange } from '../../../cluster/wal-trim.js';

function range(segments: SegmentRange): string {
  const span = segments.count === 1 ? segments.first : `${segments.first}..${segments.last}`;
  return `${span} (${segments.count} ${segments.count === 1 ? 'segment' : 'segments'}, ${formatSizeBytes(segments.bytes)})`;
}

export default class SkTimelineTrim extends BaseCommand<typeof SkTimelineTrim> {
  static override summary = 'Remove the WAL every consumer has consumed, on each safekeeper';
  static override description =
    'For each safekeeper: what WAL removal may take of TIMELINE now, i.e. the complete local ' +
    'segments below its horizon (what the pageserver, the peer safekeepers and, when it ' +
    'offloads, S3 have all consumed; never the segment holding commit_lsn nor the one before ' +
    'it), and, without --dry-run, asks it to remove them now. A safekeeper never removes past ' +
    'its horizon, whatever is asked. When nothing may be removed anywhere it exits 5, naming ' +
    'what holds each safekeeper back and the command that would unblock it (pageserver ' +
    'checkpoint, sk timeline offload, sk start N). Exits 6 when a safekeeper did not answer ' +
    '(the others are still trimmed). Removal is done when the command returns; --wait also ' +
    'reads each safekeeper back to confirm the files are gone (exit 7 at --timeout).';
  static override examples = [
    '<%= config.bin %> sk timeline trim 0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6 --dry-run',
    '<%= config.bin %> sk timeline trim TENANT/TIMELINE --json',
  ];
  static override args = {
    timeline: timelineArg,
  };
  static override flags = {
    'dry-run': Flags.boolean({ description: 'Only show what each safekeeper would remove.' }),
    wait: Flags.boolean({
      description: 'Then confirm on each safekeeper that the removed files are gone.',
    }),
    timeout: timeoutFlag('60s', 'on the wait; exit 7 when it passes'),
  };

  public async run(): Promise<void> {
    const { result, problem } = await this.cluster().trim(this.args.timeline, {
      dryRun: this.flags['dry-run'],
      wait: this.flags.wait,
      timeoutMs: timeoutMsFrom(this.flags.timeout),
    });
    this.outputPartial(result, problem, () => {
      // Safekeepers with the same outcome share a line: "safekeeper 1, 2, 3: removed ...".
      const idsByText = new Map<string, number[]>();
      for (const sk of result.safekeepers) {
        const text =
          sk.removed !== null
            ? `removed ${range(sk.removed)}`
            : sk.removable !== null
              ? `${result.dry_run ? 'would remove' : 'may remove'} ${range(sk.removable)}`
              : sk.unblock === null
                ? 'nothing left to remove (the segment holding commit_lsn and the one before it stay)'
                : `nothing to remove: held back by ${sk.blocked_by ?? 'nothing'}`;
        idsByText.set(text, [...(idsByText.get(text) ?? []), sk.id]);
      }
      // A safekeeper that did not answer keeps its line: nothing was trimmed there.
      for (const answer of result.failures) {
        const text = `not trimmed: ${failureLabel(answer)}`;
        idsByText.set(text, [...(idsByText.get(text) ?? []), answer.id]);
      }
      const lines = [...idsByText].map(([text, ids]) => `safekeeper ${ids.join(', ')}: ${text}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  }
}
