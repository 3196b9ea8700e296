import { Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { renderTimelineList } from '../../../cli/ui/timeline-view.js';
import { failOnErrors, listTimelinesOnSafekeepers } from '../../../cluster/cluster-timelines.js';
import { parseTenantId } from '../../../common/hex-id.js';

export default class SkTimelineList extends BaseCommand<typeof SkTimelineList> {
  static override summary = 'List the timelines each safekeeper holds';
  static override description =
    'Asks every safekeeper of the cluster for its timelines: term, flush and commit LSNs and ' +
    'local WAL segments. A broken timeline (say, a corrupt control file) shows its error. ' +
    'Exits 6 if a safekeeper could not be asked.';
  static override flags = {
    'tenant-id': Flags.string({ description: 'Only this tenant.' }),
  };

  public async run(): Promise<void> {
    const tenant = this.flags['tenant-id'];
    const tenantId = tenant === undefined ? undefined : parseTenantId(tenant);
    const config = await this.cluster().loadConfig();
    const results = await listTimelinesOnSafekeepers(config, tenantId);
    if (!this.isJson) process.stdout.write(`${renderTimelineList(results, this.outTheme)}\n`);
    failOnErrors(results, 'listing timelines');
    this.output(results, () => undefined);
  }
}
