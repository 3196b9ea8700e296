// Reading the cluster's bucket for the operator (`storage ls`, and the S3 part of inspect
// later): objects with their sizes under a prefix, one level at a time (S3 "directories" as
// common prefixes) or recursively, every page of a long listing. A storage that does not answer
// or refuses the credentials is an AppError saying which, with what to do.
import type { S3Client } from '@aws-sdk/client-s3';
import { AppError, describeError } from '../common/errors.js';
import { withS3Client, httpStatusOf } from '../remote-storage/s3-client.js';
import { storageEndpoint, type ClusterConfig } from './config.js';
import { storageComponent } from './components/storage.js';
import { ownedProcessState } from './process/pid-file.js';
import type { RepoLayout } from './repo-layout.js';
import { storageCredentials } from './storage-credentials.js';

/** Per request; the embedded server answers a page of 1,000 keys in well under a second. */
const LIST_REQUEST_TIMEOUT_MS = 5000;

export interface StorageObject {
  readonly key: string;
  readonly size: number;
  /** ISO 8601, or null when the server did not say. */
  readonly last_modified: string | null;
}

export interface StorageListing {
  readonly bucket: string;
  readonly endpoint: string;
  readonly prefix: string;
  readonly recursive: boolean;
  readonly objects: readonly StorageObject[];
  /** Without --recursive: the "directories" one level below the prefix (ending in /). */
  readonly prefixes: readonly string[];
  readonly total_bytes: number;
}

/** What a failed S3 call means for the operator. */
export function storageError(config: ClusterConfig, error: unknown): AppError {
  const endpoint = storageEndpoint(config);
  const bucket = config.remoteStorage.bucket;
  const status = httpStatusOf(error);
  const name = (error as { name?: string }).name;
  if (name === 'NoSuchBucket' || status === 404)
    return new AppError('not-found', `bucket ${bucket} does not exist at ${endpoint}`, {
      hints: ['`neon_local start` creates it for the embedded server and MinIO.'],
    });
  if (status === 403 || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch')
    return new AppError('unavailable', `${endpoint} refused the credentials for bucket ${bucket}`, {
      hints: ['See "Credentials" in the README: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.'],
    });
  return new AppError(
    'unavailable',
    `remote storage at ${endpoint} is not reachable: ${describeError(error)}`,
    {
      hints:
        config.remoteStorage.kind === 's3'
          ? ['Check the endpoint and the network.']
          : ['Start it with `neon_local start`; see `neon_local status`.'],
    },
  );
}

/** The cluster's bucket through a fresh client, its sockets released afterwards. */
export function withClusterBucket<T>(
  config: ClusterConfig,
  action: (client: S3Client, bucket: string) => Promise<T>,
): Promise<T> {
  return withS3Client(
    {
      endpoint: storageEndpoint(config),
      region: config.remoteStorage.region,
      credentials: storageCredentials(config),
      requestTimeoutMs: LIST_REQUEST_TIMEOUT_MS,
      maxAttempts: 1,
    },
    (client) => action(client, config.remoteStorage.bucket),
  );
}

/**
 * Whether the storage we run (the embedded server, MinIO) can answer at all, from its pid file
 * and /proc: a paused one would only be known after LIST_REQUEST_TIMEOUT_MS. undefined: it runs,
 * or it is an external S3 (asked directly).
 */
export async function storageProcessProblem(
  config: ClusterConfig,
  layout: RepoLayout,
): Promise<AppError | undefined> {
  const component = storageComponent(config, layout);
  if (!component.managed) return undefined;
  const { state, pid } = await ownedProcessState(component.paths.pidFile, component.identity);
  if (state === 'paused')
    return new AppError(
      'unavailable',
      `the ${component.description} at ${storageEndpoint(config)} is paused (SIGSTOP)`,
      { hints: [`Resume it with \`kill -CONT ${pid ?? ''}\`.`] },
    );
  if (state !== 'running')
    return new AppError(
      'unavailable',
      `the ${component.description} at ${storageEndpoint(config)} is not running`,
      { hints: ['Start it with `neon_local start`.'] },
    );
  return undefined;
}

/**
 * Every object under `prefix` (no leading slash), one level or all of them. With `layout`, a
 * storage of ours that is paused or not running is said so at once, without a request.
 */
export async function listStorage(
  config: ClusterConfig,
  prefix: string,
  recursive: boolean,
  layout?: RepoLayout,
): Promise<StorageListing> {
  if (layout !== undefined) {
    const problem = await storageProcessProblem(config, layout);
    if (problem !== undefined) throw problem;
  }
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const cleanPrefix = prefix.replace(/^\/+/, '');
  const objects: StorageObject[] = [];
  const prefixes: string[] = [];
  try {
    await withClusterBucket(config, async (client, bucket) => {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: cleanPrefix,
            ...(recursive ? {} : { Delimiter: '/' }),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const object of page.Contents ?? [])
          if (object.Key !== undefined)
            objects.push({
              key: object.Key,
              size: object.Size ?? 0,
              last_modified: object.LastModified?.toISOString() ?? null,
            });
        for (const common of page.CommonPrefixes ?? [])
          if (common.Prefix !== undefined) prefixes.push(common.Prefix);
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    });
  } catch (error) {
    throw storageError(config, error);
  }
  return {
    bucket: config.remoteStorage.bucket,
    endpoint: storageEndpoint(config),
    prefix: cleanPrefix,
    recursive,
    objects,
    prefixes,
    total_bytes: objects.reduce((sum, object) => sum + object.size, 0),
  };
}
