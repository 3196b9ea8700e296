import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../src/index.js';

// A cluster in a fresh directory: etcd, the embedded S3 server, three safekeepers, a pageserver.
const dir = await mkdtemp(join(tmpdir(), 'neon-example-'));
await using cluster = new LocalCluster(join(dir, '.neon'));
await cluster.start();

// A timeline, 16 MiB of WAL committed by a quorum, then 4 MiB more with safekeeper 3 killed.
const timeline = await cluster.createTimeline();
const first = await cluster.pushWal(timeline.ref, { sizeBytes: 16 * 1024 * 1024 });
await cluster.signalSafekeeper(3, 'kill');
const second = await cluster.pushWal(timeline.ref, { sizeBytes: 4 * 1024 * 1024 });

// Each safekeeper's view of the timeline, LSNs as X/X strings.
const status = await cluster.timelineStatus(timeline.ref, 1);

// The pageserver uploads what it received and reports it back as remote_consistent_lsn.
const checkpoint = await cluster.pageserverCheckpoint(timeline.ref, { wait: true });

// The operator's view: offload the complete segments now, wait until safekeepers 1 and 2 show
// it, trim what every consumer has, and the one-screen picture. With safekeeper 3 down, each
// names it in `problem` (exit 6 for the CLI) and does the rest.
const offload = await cluster.offload(timeline.ref, { wait: true });
const waited = await cluster.waitFor(timeline.ref, [`backup_lsn>=${offload.result.target_lsn}`], {
  safekeepers: [1, 2],
});
const trim = await cluster.trim(timeline.ref);
const { document } = await cluster.inspect(timeline.ref);
console.log(`${dir} ${first.end_lsn} ${second.commit_lsn} ${status.flush_lsn}`);
console.log(`uploaded ${checkpoint.uploaded_lsn}, sk${checkpoint.safekeeper_id} shows it`);
console.log(
  `offloaded ${offload.result.backup_lsn} (${waited.problem === undefined ? 'on 1 and 2' : 'late'}), ` +
    `${document.s3.segments?.count ?? 0} in S3, trim: ${trim.problem?.message ?? 'done'}`,
);
// Leaving the scope stops the cluster; so does the process exiting, whatever happened.
