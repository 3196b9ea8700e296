import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { timeoutMsFrom, timelineArg, timeoutFlag } from '../../cli/flags.js';
import { formatSizeBytes } from '../../common/units.js';

export default class PageserverCheckpoint extends BaseCommand<typeof PageserverCheckpoint> {
  static override summary =
    'Upload what the pageserver holds of a timeline and report it as remote_consistent_lsn';
  static override description =
    'Asks the pageserver to checkpoint TIMELINE now: it uploads the WAL it has received to the ' +
    'bucket under pageserver/<tenant>/<timeline>/, checks every object, and only then reports ' +
    'the uploaded end to the safekeeper it streams from as ps_applylsn, which that safekeeper ' +
    'keeps as remote_consistent_lsn (one of the three inputs of WAL trimming). Prints the ' +
    'uploaded end. With --wait it first waits until the pageserver holds everything the ' +
    'safekeepers had committed when the command began, and afterwards until the safekeeper it ' +
    'streams from shows the uploaded end. Exits 4 for a ' +
    'timeline the pageserver does not know, 5 when the cluster runs no pageserver, 6 when the ' +
    'pageserver is down or paused, 7 at --timeout.';
  static override examples = [
    '<%= config.bin %> pageserver checkpoint 0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6',
    '<%= config.bin %> pageserver checkpoint de200bd42b49cc1814412c7e592dd6e9/0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6 --wait --json',
  ];
  static override args = {
    timeline: timelineArg,
  };
  static override flags = {
    wait: Flags.boolean({
      description:
        'Also wait until the safekeeper the pageserver streams from shows the new remote_consistent_lsn.',
    }),
    timeout: timeoutFlag('60s', 'on the whole command; exit 7 when it passes'),
  };

  public async run(): Promise<void> {
    const result = await this.cluster().pageserverCheckpoint(this.args.timeline, {
      wait: this.flags.wait,
      timeoutMs: timeoutMsFrom(this.flags.timeout),
    });
    this.output(result, () => {
      const uploaded =
        result.objects === 0
          ? `nothing new to upload: ${result.tenant_id}/${result.timeline_id} is uploaded up to ${result.uploaded_lsn}`
          : `uploaded ${result.tenant_id}/${result.timeline_id} up to ${result.uploaded_lsn} (${result.objects} ${result.objects === 1 ? 'object' : 'objects'}, ${formatSizeBytes(result.bytes)})`;
      const source =
        result.safekeeper_id === null
          ? 'the pageserver streams from no safekeeper now'
          : result.remote_consistent_lsn === null
            ? `reported to safekeeper ${result.safekeeper_id}`
            : `safekeeper ${result.safekeeper_id} shows remote_consistent_lsn ${result.remote_consistent_lsn}`;
      process.stdout.write(`${uploaded}\n${source}\n`);
    });
  }
}
