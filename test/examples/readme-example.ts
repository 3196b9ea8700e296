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
console.log(`${dir} ${first.end_lsn} ${second.commit_lsn} ${status.flush_lsn}`);
console.log(`uploaded ${checkpoint.uploaded_lsn}, sk${checkpoint.safekeeper_id} shows it`);
// Leaving the scope stops the cluster; so does the process exiting, whatever happened.
