// The embedded S3 server (patched s3rver) in its own process: paged listings past 1000 keys
// (upstream failed with HTTP 500 on Node >= 17), CommonPrefixes for nested keys (upstream
// omitted them), a form upload through the parser our bundle loads lazily, and response-*
// overrides.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/remote-storage/s3-client.js';
import { EMBEDDED_S3_CREDENTIALS } from '../../src/cluster/storage-credentials.js';
import { makeTestCluster } from '../helpers/cluster.js';

const KEY_COUNT = 1234;
const UPLOAD_CONCURRENCY = 32;

async function putMany(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let index = 0; index < keys.length; index += UPLOAD_CONCURRENCY) {
    await Promise.all(
      keys
        .slice(index, index + UPLOAD_CONCURRENCY)
        .map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }))),
    );
  }
}

test(
  'embedded S3: listings page past 1000 keys and report nested common prefixes',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await makeTestCluster(t, { safekeepers: 1 });
    await cluster.start();
    const config = await cluster.loadConfig();
    const bucket = config.remoteStorage.bucket;
    const s3 = await createS3Client({
      endpoint: `http://127.0.0.1:${config.remoteStorage.port}`,
      region: 'us-east-1',
      credentials: EMBEDDED_S3_CREDENTIALS,
    });
    t.after(() => s3.destroy());

    const segmentKeys = Array.from(
      { length: KEY_COUNT },
      (_, index) => `wal/t1/tl1/${index.toString(16).toUpperCase().padStart(24, '0')}`,
    );
    await putMany(s3, bucket, segmentKeys);

    const listed: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: 'wal/t1/tl1/',
          ContinuationToken: token,
        }),
      );
      listed.push(...(page.Contents ?? []).map((object) => object.Key!));
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      pages++;
    } while (token !== undefined);
    assert.equal(pages, 2);
    assert.deepEqual(listed, [...segmentKeys].sort());

    const small = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'wal/', MaxKeys: 100 }),
    );
    assert.equal(small.KeyCount, 100);
    assert.equal(small.IsTruncated, true);
    const next = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: 'wal/',
        MaxKeys: 100,
        ContinuationToken: small.NextContinuationToken,
      }),
    );
    assert.equal(next.Contents?.[0]?.Key, [...segmentKeys].sort()[100]);

    await putMany(s3, bucket, [
      'tenants/a/t1/seg1',
      'tenants/a/t2/seg1',
      'tenants/b/t1/sub/seg2',
      'tenants/c',
      'tenants/d/x',
    ]);
    const top = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tenants/', Delimiter: '/' }),
    );
    assert.deepEqual(
      (top.CommonPrefixes ?? []).map((p) => p.Prefix),
      ['tenants/a/', 'tenants/b/', 'tenants/d/'],
    );
    assert.deepEqual(
      (top.Contents ?? []).map((o) => o.Key),
      ['tenants/c'],
    );
    const nested = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'tenants/a/', Delimiter: '/' }),
    );
    assert.deepEqual(
      (nested.CommonPrefixes ?? []).map((p) => p.Prefix),
      ['tenants/a/t1/', 'tenants/a/t2/'],
    );
    const root = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    assert.deepEqual(
      (root.CommonPrefixes ?? []).map((p) => p.Prefix),
      ['tenants/', 'wal/'],
    );

    const bogus = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: 'not-a-token' }))
      .catch((error: unknown) => error);
    assert.equal(
      (bogus as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode,
      400,
      'a bad token is a client error, not a crash',
    );

    // A browser-style form upload (POST with multipart/form-data): its parser, busboy, is left
    // out of the vendor bundle and loaded on first use (scripts/bundle.js).
    const form = new FormData();
    form.append('key', 'form/upload.txt');
    form.append('file', new Blob(['sent as a form']), 'upload.txt');
    const posted = await fetch(`http://127.0.0.1:${config.remoteStorage.port}/${bucket}`, {
      method: 'POST',
      body: form,
    });
    assert.equal(posted.status, 204, await posted.text());
    const uploaded = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'form/upload.txt' }),
    );
    assert.equal(await uploaded.Body?.transformToString(), 'sent as a form');

    // response-* overrides (the one lodash chain of s3rver, rewritten by scripts/bundle.js),
    // and an unknown one refused.
    const overridden = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: 'form/upload.txt',
        ResponseContentType: 'text/x-neon-local',
        ResponseCacheControl: 'no-store',
      }),
    );
    assert.equal(overridden.ContentType, 'text/x-neon-local');
    assert.equal(overridden.CacheControl, 'no-store');
    await overridden.Body?.transformToString();
    const unknown = await fetch(
      `http://127.0.0.1:${config.remoteStorage.port}/${bucket}/form/upload.txt?response-bogus=1`,
    );
    assert.equal(unknown.status, 400);
    assert.match(await unknown.text(), /response-bogus is not in the set of overridable/);
  },
);
