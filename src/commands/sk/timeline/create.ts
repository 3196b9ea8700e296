import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { parseNodeId } from '../../../cli/flags.js';
import { renderCreatedTimeline } from '../../../cli/ui/timeline-view.js';
import { createTimelineOnSafekeepers } from '../../../cluster/cluster-timelines.js';
import { tellPageserver } from '../../../cluster/pageserver-ops.js';
import { partialAnswerError } from '../../../cluster/safekeeper-fanout.js';
import { generateHexId, parseTenantId, parseTimelineId } from '../../../common/hex-id.js';
import { parseSizeBytes } from '../../../common/units.js';

export default class SkTimelineCreate extends BaseCommand<typeof SkTimelineCreate> {
  static override summary = 'Create a timeline on the safekeepers';
  static override description =
    'Creates the timeline on every safekeeper of the cluster (or the ones given with --sk) ' +
    'through their admin APIs. Ids are 32 lower-case hex characters; missing ones are generated ' +
    'and printed. Exits 5 if the timeline already exists and 6 if a safekeeper is down, paused or ' +
    'does not answer (the others still get the timeline; the output says which did). The ' +
    'pageserver is told at once and starts streaming the timeline; if it is down it finds the ' +
    'timeline on the safekeepers when it starts (that is a note, not a failure).';
  static override examples = [
    '<%= config.bin %> sk timeline create',
    '<%= config.bin %> sk timeline create --tenant-id de200bd42b49cc1814412c7e592dd6e9 --sk 1 --sk 2',
  ];
  static override flags = {
    'tenant-id': Flags.string({ description: 'Tenant id (generated when omitted).' }),
    'timeline-id': Flags.string({ description: 'Timeline id (generated when omitted).' }),
    sk: Flags.string({ description: 'Only on this safekeeper id (repeatable).', multiple: true }),
    'wal-seg-size': Flags.string({ description: 'WAL segment size.', default: '16MiB' }),
  };

  public async run(): Promise<void> {
    const tenantId = parseTenantId(this.flags['tenant-id'] ?? generateHexId());
    const timelineId = parseTimelineId(this.flags['timeline-id'] ?? generateHexId());
    const ids = this.flags.sk?.map((id) => parseNodeId(id, '--sk'));
    const walSegSize = parseSizeBytes(this.flags['wal-seg-size'], '--wal-seg-size');
    const set = await this.cluster().safekeeperSet();
    const results = await createTimelineOnSafekeepers(
      set,
      { tenant_id: tenantId, timeline_id: timelineId, wal_seg_size: walSegSize },
      ids,
    );
    const created = {
      tenant_id: tenantId,
      timeline_id: timelineId,
      safekeepers: results,
      pageserver: results.some((answer) => answer.state === 'ok')
        ? await tellPageserver(set, { tenantId, timelineId })
        : null,
    };
    const problem = partialAnswerError(results, `creating timeline ${tenantId}/${timelineId}`);
    this.outputPartial(created, problem, () =>
      process.stdout.write(`${renderCreatedTimeline(created, this.outTheme)}\n`),
    );
  }
}
