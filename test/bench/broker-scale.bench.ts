// 1,000 timelines on 3 safekeepers with the broker, idle: what etcd is asked to write per second
// once every timeline is published (target: lease keep-alives only, no per-timeline writes while
// nothing changes), how long publishing them all took, and each safekeeper's RSS with no
// timeline and with 1,000 (the same processes, in the same run). Prints one JSON line.
import { cpus, loadavg } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { pollUntil, sleepMs } from '../../src/common/deadline.js';
import { LocalCluster } from '../../src/index.js';
import { randomPortOffset } from '../helpers/cluster.js';
import { environmentNotes, round, withScratchDir } from './bench-helpers.js';
import { measureDiskFacts } from './fsync-baselines.js';

const TIMELINES = 1000;
const IDLE_WINDOW_MS = 10_000;
const CREATE_CONCURRENCY = 16;

function hex(n: number, salt: number): string {
  return (salt.toString(16).padStart(8, '0') + n.toString(16).padStart(24, '0')).slice(0, 32);
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return round(kib / 1024);
}

async function etcdCounter(url: string, name: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.split(' ')[1]);
}

await withScratchDir('neon-local-bench-', async (dir) => {
  const cluster = new LocalCluster(join(dir, 'repo'));
  try {
    await cluster.init({
      safekeeperCount: 3,
      portOffset: randomPortOffset(),
      sync: false,
      remoteStorage: 'embedded',
      pageserver: false,
    });
    await cluster.start();
    const config = await cluster.loadConfig();
    const etcdUrl = `http://127.0.0.1:${config.etcd.clientPort}`;
    const pids = await Promise.all(
      config.safekeepers.map(async (sk) =>
        Number(
          (
            await readFile(join(cluster.layout.safekeeper(sk.id).dataDir, 'safekeeper.pid'), 'utf8')
          ).trim(),
        ),
      ),
    );
    await sleepMs(2000);
    const rssEmpty = await Promise.all(pids.map(rssMiB));

    const salt = Math.floor(Math.random() * 0xffffffff);
    const tenant = hex(0, salt);
    const jobs = config.safekeepers.flatMap((sk) =>
      Array.from({ length: TIMELINES }, (_, index) => ({ sk, timeline: hex(index + 1, salt + 1) })),
    );
    const createStarted = performance.now();
    for (let at = 0; at < jobs.length; at += CREATE_CONCURRENCY) {
      await Promise.all(
        jobs.slice(at, at + CREATE_CONCURRENCY).map(async ({ sk, timeline }) => {
          const response = await fetch(`http://127.0.0.1:${sk.httpPort}/v1/tenant/timeline`, {
            method: 'POST',
            body: JSON.stringify({
              tenant_id: tenant,
              timeline_id: timeline,
              wal_seg_size: 16 * 1024 * 1024,
            }),
          });
          if (response.status !== 201)
            throw new Error(`create: ${response.status} ${await response.text()}`);
        }),
      );
    }
    const createdMs = performance.now() - createStarted;
    const etcd = new Etcd3({ hosts: etcdUrl });
    const prefix = `${config.etcd.prefix}/${tenant}/`;
    const published = await pollUntil(
      async () => ((await etcd.getAll().prefix(prefix).count()) >= jobs.length ? true : undefined),
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const publishedMs = performance.now() - createStarted;
    etcd.close();
    if (!published) throw new Error('not every timeline was published within 120 s');

    await sleepMs(2000);
    const putsBefore = await etcdCounter(etcdUrl, 'etcd_mvcc_put_total');
    const renewedBefore = await etcdCounter(etcdUrl, 'etcd_debugging_lease_renewed_total');
    await sleepMs(IDLE_WINDOW_MS);
    const putsAfter = await etcdCounter(etcdUrl, 'etcd_mvcc_put_total');
    const renewedAfter = await etcdCounter(etcdUrl, 'etcd_debugging_lease_renewed_total');
    const rssLoaded = await Promise.all(pids.map(rssMiB));
    const perSecond = (a: number | null, b: number | null): number | null =>
      a === null || b === null ? null : round((b - a) / (IDLE_WINDOW_MS / 1000));
    const putsPerSecond = perSecond(putsBefore, putsAfter);
    process.stdout.write(
      `${JSON.stringify({
        benchmark: `broker with ${TIMELINES} idle timelines on 3 safekeepers`,
        createMs: round(createdMs),
        allPublishedMs: round(publishedMs),
        idleWindowMs: IDLE_WINDOW_MS,
        etcdPutsPerSecond: putsPerSecond,
        etcdLeaseRenewalsPerSecond: perSecond(renewedBefore, renewedAfter),
        target: 'no puts while idle (lease keep-alives only)',
        meetsTarget: putsPerSecond === 0,
        safekeeperRssMiB: { noTimelines: rssEmpty, withTimelines: rssLoaded },
        notes: {
          ...environmentNotes(process.env),
          cores: cpus().length,
          loadAverage: loadavg().map(round),
          // The safekeepers run with fsync: creating the timelines writes 3,000 control files.
          disk: await measureDiskFacts(dir),
        },
      })}\n`,
    );
  } finally {
    await cluster.stop('immediate').catch(() => undefined);
  }
});
