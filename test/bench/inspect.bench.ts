// `sk timeline inspect --json` on a timeline with 2,000 segments in the bucket (1 MiB segments)
// and 3 safekeepers (the default cluster: embedded S3, etcd, the pageserver), against a bare Node
// script listing the same keys with the AWS SDK, alternated in the same run (issue 15, target
// at most 1.5x). Then, apart, inspect's wall time with one safekeeper paused (the issue asks for
// an answer within 2 s). Prints one JSON line with the machine facts beside.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { storageEndpoint } from '../../src/cluster/config.js';
import { storageCredentials } from '../../src/cluster/storage-credentials.js';
import { withClusterBucket } from '../../src/cluster/storage-ops.js';
import { parseNodeId } from '../../src/common/ids.js';
import { segmentFileName } from '../../src/postgres/segment-name.js';
import { CLI } from '../helpers/cli.js';
import {
  alternate,
  median,
  report,
  round,
  startupNotes,
  timeCommandMs,
  withBenchCluster,
} from './bench-helpers.js';
import { measureDiskFacts } from './fsync-baselines.js';

const MIB = 1024 * 1024;
const SEGMENTS = Number(process.env.INSPECT_BENCH_SEGMENTS ?? 2000);
const RUNS = Number(process.env.INSPECT_BENCH_RUNS ?? 10);
const WARMUPS = 2;
const PUTS_IN_FLIGHT = 16;

/** The baseline: Node, the SDK, and every page of ListObjectsV2 under the prefix. */
const LIST_SCRIPT = `
const [sdkUrl, endpoint, region, bucket, prefix, key, secret, expected] = process.argv.slice(2);
const { S3Client, ListObjectsV2Command } = await import(sdkUrl);
const client = new S3Client({
  endpoint, region, forcePathStyle: true,
  credentials: { accessKeyId: key, secretAccessKey: secret },
});
let token;
let count = 0;
do {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
  count += (page.Contents ?? []).length;
  token = page.IsTruncated ? page.NextContinuationToken : undefined;
} while (token !== undefined);
client.destroy();
if (count !== Number(expected)) { console.error('listed ' + count + ' keys'); process.exit(1); }
`;

await withBenchCluster(false, async ({ cluster, dir, env }) => {
  await cluster.start();
  const config = await cluster.loadConfig();
  const timeline = await cluster.createTimeline({ segmentSizeBytes: MIB });
  const prefix = `${config.remoteStorage.prefix}/${timeline.tenantId}/${timeline.timelineId}/`;

  const filled = Date.now();
  const body = Buffer.alloc(MIB);
  await withClusterBucket(config, async (client, bucket) => {
    let nextSegno = 1;
    const putNext = async (): Promise<void> => {
      for (let segno = nextSegno++; segno <= SEGMENTS; segno = nextSegno++)
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `${prefix}${segmentFileName(BigInt(segno), MIB)}`,
            Body: body,
            ContentLength: MIB,
          }),
        );
    };
    await Promise.all(Array.from({ length: PUTS_IN_FLIGHT }, putNext));
  });
  const fillSeconds = (Date.now() - filled) / 1000;

  const credentials = storageCredentials(config);
  if (credentials === undefined) throw new Error('the embedded storage has credentials');
  const script = join(dir, 'list-bucket.mjs');
  await writeFile(script, LIST_SCRIPT);
  const sdkUrl = pathToFileURL(createRequire(import.meta.url).resolve('@aws-sdk/client-s3')).href;
  const baselineArgs = [
    script,
    sdkUrl,
    storageEndpoint(config),
    config.remoteStorage.region,
    config.remoteStorage.bucket,
    prefix,
    credentials.accessKeyId,
    credentials.secretAccessKey,
    String(SEGMENTS),
  ];
  // The CLI as an executable, as `neon_local` on PATH runs it (its first line keeps Node from
  // reading NODE_EXTRA_CA_CERTS at start-up; see bin/run.js); the baseline's Node is spared that
  // file too, so neither pays for it: the bucket is plain http.
  const inspectArgs = ['sk', 'timeline', 'inspect', timeline.ref, '--json'];
  const baselineEnv = { ...env };
  delete baselineEnv.NODE_EXTRA_CA_CERTS;
  const subject = (): number => timeCommandMs(CLI, inspectArgs, env);
  const baseline = (): number => timeCommandMs(process.execPath, baselineArgs, baselineEnv);

  // The subject must have seen every segment, or the comparison means nothing.
  const checked = spawnSync(CLI, inspectArgs, { env, encoding: 'utf8' });
  const document = JSON.parse(checked.stdout) as {
    result?: { s3: { segments: { count: number } | null } };
  };
  if (document.result?.s3.segments?.count !== SEGMENTS)
    throw new Error(`inspect saw ${JSON.stringify(document.result?.s3)}, not ${SEGMENTS} segments`);

  const { subjectMs, baselineMs } = alternate(subject, baseline, RUNS, WARMUPS);

  // One safekeeper paused: inspect exits 6 with everything else in the document.
  await cluster.signalSafekeeper(parseNodeId('2'), 'pause');
  const pausedMs: number[] = [];
  try {
    for (let index = 0; index < 5; index++) {
      const begunAt = process.hrtime.bigint();
      const result = spawnSync(CLI, inspectArgs, { env, stdio: 'ignore' });
      pausedMs.push(Number(process.hrtime.bigint() - begunAt) / 1e6);
      if (result.status !== 6) throw new Error(`inspect with sk2 paused exited ${result.status}`);
    }
  } finally {
    await cluster.signalSafekeeper(parseNodeId('2'), 'resume');
  }

  report({
    benchmark: `sk timeline inspect --json, ${SEGMENTS} segments of 1 MiB in the bucket, 3 safekeepers`,
    runs: RUNS,
    subjectMedianMs: round(median(subjectMs)),
    baseline: 'node + AWS SDK ListObjectsV2 of the same prefix (every page)',
    baselineMedianMs: round(median(baselineMs)),
    targetRatio: 1.5,
    notes: {
      ...startupNotes(env),
      disk: await measureDiskFacts(dir),
      subjectMinMaxMs: [round(Math.min(...subjectMs)), round(Math.max(...subjectMs))],
      baselineMinMaxMs: [round(Math.min(...baselineMs)), round(Math.max(...baselineMs))],
      withSafekeeper2PausedMedianMs: round(median(pausedMs)),
      withSafekeeper2PausedMaxMs: round(Math.max(...pausedMs)),
      pausedTargetMs: 2000,
      bucketFillSeconds: round(fillSeconds),
    },
  });
});
