// Where remote-storage credentials come from. They are read from the environment at the moment
// they are needed and handed to children through their environment only: never written to the
// config, the env file or a log.
import type { S3Credentials } from '../remote-storage/s3-client.js';
import type { ClusterConfig } from './config.js';

export type { S3Credentials };

/** s3rver's built-in account; the embedded server accepts only this pair. */
export const EMBEDDED_S3_CREDENTIALS: S3Credentials = {
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};
/** Root credentials for a MinIO we start, unless MINIO_ROOT_USER / MINIO_ROOT_PASSWORD are set. */
export const DEFAULT_MINIO_CREDENTIALS: S3Credentials = {
  accessKeyId: 'neonlocal',
  secretAccessKey: 'neonlocal-secret',
};

/** Credentials for the cluster's storage; undefined = let the AWS SDK use its default chain. */
export function storageCredentials(
  config: ClusterConfig,
  env: NodeJS.ProcessEnv = process.env,
): S3Credentials | undefined {
  switch (config.remoteStorage.kind) {
    case 'embedded':
      return EMBEDDED_S3_CREDENTIALS;
    case 'minio': {
      const accessKeyId = env.MINIO_ROOT_USER;
      const secretAccessKey = env.MINIO_ROOT_PASSWORD;
      return accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey }
        : DEFAULT_MINIO_CREDENTIALS;
    }
    case 's3': {
      const accessKeyId = env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
      return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined;
    }
  }
}

/** The variables that carry credentials to a child process (AWS SDK convention). */
export function credentialsEnv(credentials: S3Credentials | undefined): Record<string, string> {
  if (credentials === undefined) return {};
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  };
}
