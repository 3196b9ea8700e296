// Remote storage: MinIO when configured (or found on PATH at init), the embedded S3 server
// (bin/s3-server.js, s3rver in its own process) otherwise, or an external S3 endpoint that is
// only checked. The bucket is created by the embedded server itself, and through the S3 API for
// MinIO.
import { access, constants } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import type { S3ServerReadyNotice } from '../../common/ready-notice.js';
import { checkBucket, ensureBucket, withS3Client } from '../../remote-storage/s3-client.js';
import { AppError } from '../../common/errors.js';
import type { ClusterConfig } from '../config.js';
import { storageEndpoint } from '../config.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { probeHttp } from '../process/http-probe.js';
import { LOOPBACK_HOST } from '../process/ports.js';
import type { RepoLayout } from '../repo-layout.js';
import { storageCredentials } from '../storage-credentials.js';
import type { Component, ManagedComponent, ReadyProbe } from './component.js';

export const EMBEDDED_S3_SCRIPT = join(PACKAGE_ROOT, 'bin', 's3-server.js');
export const MINIO_HEALTH_PATH = '/minio/health/live';

/** The MinIO binary: the configured path, else `minio` on PATH; undefined when there is none. */
export async function findMinioBinary(
  configured: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const candidates =
    configured !== ''
      ? [configured]
      : (env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, 'minio'));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function bucketProbe(config: ClusterConfig) {
  return async (timeoutMs: number): Promise<ReadyProbe> => {
    const options = {
      endpoint: storageEndpoint(config),
      region: config.remoteStorage.region,
      credentials: storageCredentials(config),
      requestTimeoutMs: timeoutMs,
      maxAttempts: 1,
    };
    const result = await withS3Client(options, (client) =>
      checkBucket(client, config.remoteStorage.bucket),
    );
    return { ready: result.ok, detail: result.detail };
  };
}

/** What the embedded S3 server's readiness notice says: ready once it serves the bucket on `port`. */
function embeddedS3Readiness(line: string, port: number, bucket: string): ReadyProbe {
  let notice: Partial<S3ServerReadyNotice>;
  try {
    notice = JSON.parse(line) as Partial<S3ServerReadyNotice>;
  } catch {
    return { ready: false, detail: 'not a JSON document' };
  }
  if (notice.port !== port)
    return { ready: false, detail: `port ${String(notice.port)}, not ${port}` };
  if (!Array.isArray(notice.buckets) || !notice.buckets.includes(bucket))
    return { ready: false, detail: `no bucket ${bucket}` };
  return { ready: true, detail: `bucket ${bucket}` };
}

function embeddedStorage(config: ClusterConfig, layout: RepoLayout): ManagedComponent {
  const paths = layout.storage;
  const { port, bucket } = config.remoteStorage;
  const endpoint = storageEndpoint(config);
  return {
    managed: true,
    name: 'storage',
    kind: 'storage',
    description: 'embedded S3 server',
    ports: { s3: port },
    endpoint,
    paths,
    identity: { program: 's3-server.js', dataDir: paths.dataDir },
    writesOwnPidFile: false,
    readinessFromNotice: (line) => embeddedS3Readiness(line, port, bucket),
    // The server creates the bucket before listening, so an answered HEAD means ready.
    probe: async (timeoutMs) => {
      const result = await probeHttp(`${endpoint}/${bucket}`, timeoutMs, 'HEAD');
      return result.ok
        ? { ready: true, detail: `bucket ${bucket}` }
        : { ready: false, detail: `HEAD /${bucket}: ${result.reason}` };
    },
    launchSpec: () =>
      Promise.resolve({
        command: process.execPath,
        args: [
          EMBEDDED_S3_SCRIPT,
          '--address',
          LOOPBACK_HOST,
          '--port',
          String(port),
          '--directory',
          paths.dataDir,
          '--bucket',
          bucket,
        ],
        env: {},
        cwd: paths.homeDir,
        logFile: paths.logFile,
      }),
    afterReady: () => Promise.resolve(),
  };
}

function minioStorage(config: ClusterConfig, layout: RepoLayout): ManagedComponent {
  const paths = layout.storage;
  const { port, consolePort } = config.remoteStorage;
  const endpoint = storageEndpoint(config);
  const credentials = storageCredentials(config);
  return {
    managed: true,
    name: 'storage',
    kind: 'storage',
    description: 'MinIO',
    ports: { s3: port, console: consolePort },
    endpoint,
    paths,
    identity: {
      program: basename(config.remoteStorage.minioBinary || 'minio'),
      dataDir: paths.dataDir,
    },
    writesOwnPidFile: false,
    readinessFromNotice: undefined,
    probe: async (timeoutMs) => {
      const result = await probeHttp(`${endpoint}${MINIO_HEALTH_PATH}`, timeoutMs);
      return result.ok
        ? { ready: true, detail: 'live' }
        : { ready: false, detail: `${MINIO_HEALTH_PATH}: ${result.reason}` };
    },
    launchSpec: async () => {
      const binary = await findMinioBinary(config.remoteStorage.minioBinary);
      if (binary === undefined) {
        throw new AppError(
          'unavailable',
          'no minio binary: remote_storage.kind is "minio" but none is configured or on PATH',
          {
            hints: ['Set remote_storage.minio_binary in the config, or use kind = "embedded".'],
          },
        );
      }
      return {
        command: binary,
        args: [
          'server',
          paths.dataDir,
          '--address',
          `${LOOPBACK_HOST}:${port}`,
          '--console-address',
          `${LOOPBACK_HOST}:${consolePort}`,
        ],
        env: {
          MINIO_ROOT_USER: credentials?.accessKeyId ?? '',
          MINIO_ROOT_PASSWORD: credentials?.secretAccessKey ?? '',
        },
        cwd: paths.homeDir,
        logFile: paths.logFile,
      };
    },
    afterReady: (timeoutMs) =>
      withS3Client(
        { endpoint, region: config.remoteStorage.region, credentials, requestTimeoutMs: timeoutMs },
        (client) => ensureBucket(client, config.remoteStorage.bucket),
      ),
  };
}

export function storageComponent(config: ClusterConfig, layout: RepoLayout): Component {
  switch (config.remoteStorage.kind) {
    case 'embedded':
      return embeddedStorage(config, layout);
    case 'minio':
      return minioStorage(config, layout);
    case 's3':
      return {
        managed: false,
        name: 'storage',
        kind: 'storage',
        description: 'external S3',
        ports: {},
        endpoint: storageEndpoint(config),
        probe: bucketProbe(config),
      };
  }
}
