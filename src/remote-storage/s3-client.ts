// The one place S3 clients are made. Path-style addressing (MinIO and the embedded server have no
// virtual-host DNS) and checksums only WHEN_REQUIRED (otherwise streamed bodies are stored with
// aws-chunked framing by non-AWS servers). The SDK is imported lazily: it costs ~150 ms.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Agent as HttpsAgent } from 'node:https';
import { AppError, describeError } from '../common/errors.js';
import { deferredExtraCaCertsFile } from '../common/tls-trust.js';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface S3ClientOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: S3Credentials | undefined;
  /** Per-request timeout. */
  readonly requestTimeoutMs?: number;
  readonly maxAttempts?: number;
}

export async function createS3Client(options: S3ClientOptions): Promise<S3Client> {
  // The SDK warns on every Node 20 process that future releases will need Node 22; the version
  // we pin runs on Node 20, and the warning would only clutter every command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { S3Client } = await import('@aws-sdk/client-s3');
  const handlerOptions = {
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeout: options.requestTimeoutMs }),
    ...(await httpsAgentOption(options.endpoint)),
  };
  return new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: options.maxAttempts ?? 3,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(Object.keys(handlerOptions).length === 0 ? {} : { requestHandler: handlerOptions }),
  });
}

/**
 * An https endpoint's agent when the CLI deferred NODE_EXTRA_CA_CERTS (common/tls-trust.ts), with
 * the SDK's own agent settings. An agent rather than agent options: the SDK replaces an agent it
 * made itself, without our `ca`, for a request that expects 100-continue.
 */
async function httpsAgentOption(endpoint: string): Promise<{ httpsAgent?: HttpsAgent }> {
  if (endpoint !== '' && !endpoint.startsWith('https:')) return {};
  if (deferredExtraCaCertsFile() === undefined) return {};
  const { trustingHttpsAgent } = await import('../common/https-request.js');
  return { httpsAgent: trustingHttpsAgent({ keepAlive: true, maxSockets: 50 }) };
}

/** Runs `action` with a fresh client and always releases the client's sockets afterwards. */
export async function withS3Client<T>(
  options: S3ClientOptions,
  action: (client: S3Client) => Promise<T>,
): Promise<T> {
  const client = await createS3Client(options);
  try {
    return await action(client);
  } finally {
    client.destroy();
  }
}

/** The HTTP status an S3 call failed with (undefined: no answer, e.g. refused). */
export function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Creates the bucket unless it exists already. */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  const { HeadBucketCommand, CreateBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    if (httpStatusOf(error) !== 404) {
      throw new AppError(
        'unavailable',
        `could not check bucket ${bucket}: ${describeError(error)}`,
        { cause: error },
      );
    }
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return;
    throw new AppError(
      'unavailable',
      `could not create bucket ${bucket}: ${describeError(error)}`,
      { cause: error },
    );
  }
}

/** Ready when the bucket answers HeadBucket with these credentials. */
export async function checkBucket(
  client: S3Client,
  bucket: string,
): Promise<{ ok: boolean; detail: string }> {
  const { HeadBucketCommand } = await import('@aws-sdk/client-s3');
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return { ok: true, detail: `bucket ${bucket} reachable` };
  } catch (error) {
    const status = httpStatusOf(error);
    return {
      ok: false,
      detail: `bucket ${bucket}: ${status === undefined ? describeError(error) : `HTTP ${status}`}`,
    };
  }
}
