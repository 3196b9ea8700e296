// `neon_local storage ls` against the cluster's embedded S3 server: a listing longer than one
// page (1,000 keys) comes back whole, one level shows the directories, sizes are the objects'
// own, and a paused or stopped storage is exit 6 at once, with what to do.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { withClusterBucket } from '../../src/cluster/storage-ops.js';
import type { StorageListing } from '../../src/index.js';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';

const OBJECTS = 1003;

test(
  'storage ls: every page, one level or all, and a paused or stopped storage',
  { timeout: 120_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 1, extraInit: { pageserver: false } });
    const repoDir = cluster.repoDir;
    assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
    const config = await cluster.loadConfig();
    await withClusterBucket(config, async (client, bucket) => {
      for (let at = 0; at < OBJECTS; at += 50)
        await Promise.all(
          Array.from({ length: Math.min(50, OBJECTS - at) }, (_, i) =>
            client.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: `many/part-${String(at + i).padStart(5, '0')}`,
                Body: Buffer.alloc((at + i) % 7),
              }),
            ),
          ),
        );
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'top.txt', Body: 'hello' }));
    });

    const all = await runCliJson<StorageListing>(['storage', 'ls', 'many/', '--recursive'], {
      repoDir,
    });
    assert.equal(all.exitCode, 0, JSON.stringify(all.body));
    const objects = all.body.result?.objects ?? [];
    assert.equal(objects.length, OBJECTS, 'more than one page, all of it');
    assert.equal(objects[17]?.key, 'many/part-00017');
    assert.equal(objects[17]?.size, 17 % 7);
    assert.equal(
      all.body.result?.total_bytes,
      Array.from({ length: OBJECTS }, (_, i) => i % 7).reduce((a, b) => a + b, 0),
    );

    const root = await runCliJson<StorageListing>(['storage', 'ls'], { repoDir });
    assert.deepEqual(root.body.result?.prefixes, ['many/']);
    assert.deepEqual(
      root.body.result?.objects.map((o) => [o.key, o.size]),
      [['top.txt', 5]],
    );
    const text = await runCli(['storage', 'ls'], { repoDir });
    assert.match(text.stdout, /^DIR\s+many\/$/m);
    assert.match(text.stdout, /^5 B\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+top\.txt$/m);

    // Paused: known from /proc at once (a request would wait out its 5 s timeout first).
    const pid = Number((await readFile(cluster.layout.storage.pidFile, 'utf8')).trim());
    process.kill(pid, 'SIGSTOP');
    const paused = await runCliJson(['storage', 'ls'], { repoDir }).finally(() =>
      process.kill(pid, 'SIGCONT'),
    );
    assert.equal(paused.exitCode, 6);
    assert.match(
      paused.body.error?.message ?? '',
      /^the embedded S3 server at http:\/\/127\.0\.0\.1:\d+ is paused \(SIGSTOP\)$/,
    );
    assert.deepEqual(paused.body.error?.hints, [`Resume it with \`kill -CONT ${pid}\`.`]);

    assert.equal((await runCli(['stop'], { repoDir })).exitCode, 0);
    const down = await runCli(['storage', 'ls'], { repoDir });
    assert.equal(down.exitCode, 6);
    assert.match(down.stderr, /the embedded S3 server at http:\/\/127\.0\.0\.1:\d+ is not running/);
    assert.match(down.stderr, /neon_local start/);
  },
);
