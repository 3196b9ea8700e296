// Puts WAL segment files into the bucket and checks them there: HeadObject before (a segment a
// previous leader already uploaded is not sent again) and after (the stored size must be the
// segment size; the caller runs it beside the next PUT, not in its slot). Bodies are read into
// pooled buffers (segment-body.ts). The S3 client is made on first use (the SDK costs ~150 ms to
// load), through remote-storage/s3-client.ts; credentials come from the environment and are
// never logged. One attempt per call: the offload task owns retries and backoff.
import { createReadStream } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { AppError, describeError } from '../../common/errors.js';
import { BODY_CHUNK_BYTES, BodyBufferPool, segmentBody } from './segment-body.js';
import type { RemoteStorageSpec } from '../../remote-storage/remote-storage-spec.js';
import {
  createS3Client,
  type S3Credentials,
  httpStatusOf,
} from '../../remote-storage/s3-client.js';

/** One S3 request, a 16 MiB PUT included, on a slow link. */
const S3_REQUEST_TIMEOUT_MS = 60_000;

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else undefined (the SDK's default chain). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): S3Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}

export class SegmentUploader {
  private client: Promise<S3Client> | undefined;
  private readonly bodyBuffers: BodyBufferPool;

  /** `parallelUploads`: how many bodies' buffers the pool keeps. */
  constructor(
    private readonly spec: RemoteStorageSpec,
    private readonly credentials: S3Credentials | undefined,
    parallelUploads: number,
  ) {
    this.bodyBuffers = new BodyBufferPool(parallelUploads);
  }

  private s3(): Promise<S3Client> {
    this.client ??= createS3Client({
      endpoint: this.spec.endpoint ?? `https://s3.${this.spec.bucketRegion}.amazonaws.com`,
      region: this.spec.bucketRegion,
      credentials: this.credentials,
      requestTimeoutMs: S3_REQUEST_TIMEOUT_MS,
      maxAttempts: 1,
    });
    return this.client;
  }

  private fail(action: string, key: string, error: unknown): AppError {
    if (error instanceof AppError) return error;
    return new AppError(
      'unavailable',
      `could not ${action} s3://${this.spec.bucketName}/${key}: ${describeError(error)}`,
      { cause: error },
    );
  }

  /** The stored object's size, or undefined when there is none. */
  async sizeOf(key: string, signal: AbortSignal): Promise<number | undefined> {
    const client = await this.s3();
    const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const head = await client.send(
        new HeadObjectCommand({ Bucket: this.spec.bucketName, Key: key }),
        { abortSignal: signal },
      );
      return head.ContentLength ?? 0;
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw this.fail('check', key, error);
    }
  }

  /**
   * Puts the file (`sizeBytes` from offset 0) at `key`. The PUT's success does not prove the
   * stored size (S3's reply carries no length): checkStored does, with a HeadObject.
   */
  async put(key: string, path: string, sizeBytes: number, signal: AbortSignal): Promise<void> {
    const client = await this.s3();
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const buffer = this.bodyBuffers.take(sizeBytes);
    const body =
      buffer === undefined
        ? createReadStream(path, { start: 0, end: sizeBytes - 1, highWaterMark: BODY_CHUNK_BYTES })
        : segmentBody(path, buffer);
    let reusable = false;
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: this.spec.bucketName,
          Key: key,
          Body: body,
          ContentLength: sizeBytes,
        }),
        { abortSignal: signal },
      );
      // Only now, and only if the body was read to its end: no read or write of this request
      // still touches the buffer (a server answering before the whole body leaves it dropped).
      reusable = body.readableEnded;
    } catch (error) {
      throw this.fail('upload', key, error);
    } finally {
      body.destroy();
      if (buffer !== undefined) {
        if (reusable) this.bodyBuffers.give(buffer);
        else this.bodyBuffers.drop();
      }
    }
  }

  /** Throws an integrity error unless the object at `key` holds exactly `sizeBytes`. */
  async checkStored(key: string, sizeBytes: number, signal: AbortSignal): Promise<void> {
    const stored = await this.sizeOf(key, signal);
    if (stored !== sizeBytes)
      throw new AppError(
        'integrity',
        `s3://${this.spec.bucketName}/${key} holds ${stored ?? 'no'} bytes after the upload, not ${sizeBytes}`,
      );
  }

  /** Releases the client's sockets (if one was made). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.bodyBuffers.release();
    if (client !== undefined) (await client.catch(() => undefined))?.destroy();
  }
}
