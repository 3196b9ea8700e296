// The bucket as the checkpoint sees it: put an object, read its size back, delete one. Backed by
// the shared S3 client factory (path style, checksums only WHEN_REQUIRED); every failure is an
// AppError('unavailable') naming the bucket and key. Keys live under `pageserver/`.
import type { S3Client } from '@aws-sdk/client-s3';
import { AppError, describeError } from '../../common/errors.js';
import type { RemoteStorageSpec } from '../../remote-storage/remote-storage-spec.js';
import {
  createS3Client,
  type S3Credentials,
  httpStatusOf,
} from '../../remote-storage/s3-client.js';
import { S3_ATTEMPTS_MAX, S3_REQUEST_TIMEOUT_MS } from '../limits.js';

export const BUCKET_PREFIX = 'pageserver';

export interface ObjectStore {
  /** Where objects go, for messages: "bucket/prefix". */
  readonly description: string;
  put(key: string, body: Buffer): Promise<void>;
  /** The object's size, or undefined when it does not exist. */
  sizeOf(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  destroy(): void;
}

/** Credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else the SDK's default chain. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): S3Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
}

export async function createS3ObjectStore(
  spec: RemoteStorageSpec,
  credentials: S3Credentials | undefined,
): Promise<ObjectStore> {
  const client: S3Client = await createS3Client({
    endpoint: spec.endpoint ?? `https://s3.${spec.bucketRegion}.amazonaws.com`,
    region: spec.bucketRegion,
    credentials,
    requestTimeoutMs: S3_REQUEST_TIMEOUT_MS,
    maxAttempts: S3_ATTEMPTS_MAX,
  });
  const { PutObjectCommand, HeadObjectCommand, DeleteObjectCommand } =
    await import('@aws-sdk/client-s3');
  const Bucket = spec.bucketName;
  const fail = (action: string, key: string, error: unknown): AppError =>
    new AppError(
      'unavailable',
      `could not ${action} s3://${Bucket}/${key}: ${describeError(error)}`,
      { cause: error },
    );
  return {
    description: `${Bucket}/${BUCKET_PREFIX}/`,
    async put(key, body) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket, Key: key, Body: body, ContentLength: body.length }),
        );
      } catch (error) {
        throw fail('upload', key, error);
      }
    },
    async sizeOf(key) {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return head.ContentLength ?? 0;
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw fail('check', key, error);
      }
    },
    async delete(key) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
      } catch (error) {
        throw fail('delete', key, error);
      }
    },
    destroy: () => client.destroy(),
  };
}

/**
 * An object store whose S3 client is made on first use: loading the AWS SDK costs about 150 ms
 * of CPU, which the daemon would otherwise spend before it is ready (and on every `neon_local
 * start`), while the first checkpoint is seconds away. A failed creation is retried next time.
 */
export function createLazyObjectStore(
  spec: RemoteStorageSpec,
  credentials: S3Credentials | undefined,
): ObjectStore {
  let made: Promise<ObjectStore> | undefined;
  let store: ObjectStore | undefined;
  const real = async (): Promise<ObjectStore> => {
    made ??= createS3ObjectStore(spec, credentials).then(
      (created) => (store = created),
      (error: unknown) => {
        made = undefined;
        throw error;
      },
    );
    return made;
  };
  return {
    description: `${spec.bucketName}/${BUCKET_PREFIX}/`,
    put: async (key, body) => (await real()).put(key, body),
    sizeOf: async (key) => (await real()).sizeOf(key),
    delete: async (key) => (await real()).delete(key),
    destroy: () => store?.destroy(),
  };
}
