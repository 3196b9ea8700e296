import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { terminalColumns } from '../../../cli/ui/table.js';
import { renderTimelineList } from '../../../cli/ui/timeline-view.js';
import { listTimelinesOnSafekeepers } from '../../../cluster/cluster-timelines.js';
import { askPageserver, clusterAnswerError } from '../../../cluster/pageserver-ops.js';
import { renderPageserverTimelines } from '../../../cli/ui/pageserver-view.js';
import { parseTenantId } from '../../../common/hex-id.js';

export default class SkTimelineList extends BaseCommand<typeof SkTimelineList> {
  static override summary = 'List the timelines each safekeeper holds';
  static override description =
    'Asks every safekeeper of the cluster for its timelines: term, flush and commit LSNs and ' +
    'local WAL segments. Each safekeeper gets about a second to answer; a down, paused or ' +
    'silent one is marked in its row while the others are listed, and a broken timeline (say, a ' +
    'corrupt control file) shows its error. Ids are shortened when the table would not fit the ' +
    'terminal (--wide shows them whole). A second table shows what the pageserver has of each timeline: the safekeeper it ' +
    'streams from, the WAL it received and the end it uploaded (and reports as ' +
    'remote_consistent_lsn). Exits 0 when every safekeeper answered, 6 when one did ' +
    'not or the pageserver is down (the answers of the others are still printed, and in --json ' +
    'the document carries both "result" ({"safekeepers":[...],"pageserver":...}) and "error").';
  static override examples = [
    '<%= config.bin %> sk timeline list',
    '<%= config.bin %> sk timeline list --wide',
    '<%= config.bin %> sk timeline list --json',
  ];
  static override flags = {
    'tenant-id': Flags.string({ description: 'Only this tenant.' }),
    wide: Flags.boolean({ description: 'Full tenant and timeline ids, whatever the width.' }),
  };

  public async run(): Promise<void> {
    const tenant = this.flags['tenant-id'];
    const tenantId = tenant === undefined ? undefined : parseTenantId(tenant);
    const set = await this.cluster().safekeeperSet();
    const [answers, pageserver] = await Promise.all([
      listTimelinesOnSafekeepers(set, tenantId),
      askPageserver(set, (client) => client.listTimelines()),
    ]);
    const problem = clusterAnswerError(set, 'listing timelines', answers, pageserver);
    const listed = { safekeepers: answers, pageserver: pageserver ?? null };
    this.outputPartial(listed, problem, () => {
      const options = { widthColumns: terminalColumns(), wide: this.flags.wide };
      const text = [renderTimelineList(answers, this.outTheme, options)];
      if (pageserver !== undefined)
        text.push(
          renderPageserverTimelines(pageserver, this.outTheme, {
            ...options,
            ...(tenantId === undefined ? {} : { tenantId }),
          }),
        );
      process.stdout.write(`${text.join('\n\n')}\n`);
    });
  }
}
