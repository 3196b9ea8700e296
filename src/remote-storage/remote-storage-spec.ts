// neon's --remote-storage flag: a TOML inline table naming an S3 bucket (bucket_name,
// bucket_region, endpoint, prefix_in_bucket), parsed and validated the same way for every daemon
// that takes it. Errors are AppError('usage') carrying the caller's usage text as a hint.
import { parse as parseToml } from 'smol-toml';
import { AppError, describeError } from '../common/errors.js';

export interface RemoteStorageSpec {
  readonly bucketName: string;
  readonly bucketRegion: string;
  readonly endpoint: string | undefined;
  readonly prefixInBucket: string | undefined;
}

/** Keys neon's remote storage config knows; the ones we do not use are accepted and ignored. */
const KNOWN_KEYS = [
  'bucket_name',
  'bucket_region',
  'endpoint',
  'prefix_in_bucket',
  'local_path',
  'max_concurrent_syncs',
  'max_sync_errors',
  'concurrency_limit',
];

/** A TOML inline table with bucket_name + bucket_region (S3 only). */
export function parseRemoteStorage(text: string, hints: readonly string[] = []): RemoteStorageSpec {
  const fail = (message: string): AppError =>
    new AppError('usage', `invalid --remote-storage: ${message}`, { hints });
  let table: Record<string, unknown>;
  try {
    table = (parseToml(`remote_storage = ${text}`) as { remote_storage: Record<string, unknown> })
      .remote_storage;
  } catch (error) {
    throw fail(`not a TOML inline table: ${describeError(error)}`);
  }
  const unknown = Object.keys(table).filter((key) => !KNOWN_KEYS.includes(key));
  if (unknown.length > 0) throw fail(`unknown key ${unknown.join(', ')}`);
  if ('local_path' in table) throw fail('local_path storage is not supported; use an S3 bucket');
  const textOf = (key: string): string | undefined => {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw fail(`${key} must be a string`);
    return value;
  };
  const bucketName = textOf('bucket_name');
  const bucketRegion = textOf('bucket_region');
  if (bucketName === undefined) throw fail("no 'bucket_name' option");
  if (bucketRegion === undefined)
    throw fail("'bucket_region' option is mandatory if 'bucket_name' is given");
  return {
    bucketName,
    bucketRegion,
    endpoint: textOf('endpoint'),
    prefixInBucket: textOf('prefix_in_bucket'),
  };
}
