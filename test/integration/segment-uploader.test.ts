// The offload's segment uploader against the embedded S3 server: bodies read into pooled buffers
// and, beyond the pool, through a plain file stream; every object byte-equal to its file while the
// pool's buffers are reused across rounds, the size check refusing a wrong size.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { EMBEDDED_S3_CREDENTIALS } from '../../src/cluster/storage-credentials.js';
import { SegmentUploader } from '../../src/safekeeper/wal-backup/segment-uploader.js';
import { getObject, TEST_BUCKET, TestS3Server } from '../helpers/backup-servers.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const SEGMENT_BYTES = 3 * 1024 * 1024 + 4096;
const FILES = 6;

test('uploads beyond the pool stream; every object equals its file; a wrong size is refused', async (t) => {
  const s3 = await TestS3Server.start(t);
  const client = await s3.client(t);
  const dir = await makeTempDir(t);
  const contents = Array.from({ length: FILES }, () => randomBytes(SEGMENT_BYTES));
  const paths = await Promise.all(
    contents.map(async (content, index) => {
      const path = join(dir, `segment-${index}`);
      await writeFile(path, content);
      return path;
    }),
  );
  // A pool of 2 for 6 uploads at once: 2 pooled, 4 streamed; then twice more, reusing the pool.
  const uploader = new SegmentUploader(
    {
      bucketName: TEST_BUCKET,
      bucketRegion: 'us-east-1',
      endpoint: s3.endpoint,
      prefixInBucket: undefined,
    },
    EMBEDDED_S3_CREDENTIALS,
    2,
  );
  t.after(() => uploader.close());
  const signal = new AbortController().signal;
  for (const round of [0, 1, 2])
    await Promise.all(
      paths.map((path, index) => uploader.put(`r${round}/${index}`, path, SEGMENT_BYTES, signal)),
    );
  for (const round of [0, 1, 2])
    for (const [index, content] of contents.entries()) {
      const stored = await getObject(client, `r${round}/${index}`);
      assert.ok(stored.equals(content), `round ${round}, file ${index} stored byte-equal`);
      await uploader.checkStored(`r${round}/${index}`, SEGMENT_BYTES, signal);
    }
  await client.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: 'short', Body: 'abc' }));
  await assert.rejects(
    uploader.checkStored('short', SEGMENT_BYTES, signal),
    /holds 3 bytes after the upload, not 3149824/,
  );
  await assert.rejects(uploader.checkStored('missing', SEGMENT_BYTES, signal), /holds no bytes/);
});
