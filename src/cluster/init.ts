// `init`: the default cluster spec with free loopback ports, rendered from templates/ and
// validated by the same parser that reads it back.
import { access, constants } from 'node:fs/promises';
import { AppError } from '../common/errors.js';
import { findMinioBinary } from './components/storage.js';
import {
  DEFAULT_CHECKPOINT_INTERVAL,
  DEFAULT_CONTROL_FILE_SAVE_INTERVAL,
  DEFAULT_ELECTION_TTL,
  DEFAULT_WAL_REMOVAL_INTERVAL,
  DEFAULT_PAGESERVER_HTTP_PORT,
  parseClusterConfig,
  type ClusterConfig,
  type RemoteStorageKind,
} from './config.js';
import { findFreePort } from './process/ports.js';
import { renderTemplateFile, tomlValue } from './template.js';

export const DEFAULT_PORTS = {
  etcdClient: 2379,
  etcdPeer: 2380,
  storage: 9000,
  storageConsole: 9001,
  safekeeperPg: 5454,
  safekeeperHttp: 7676,
  pageserverHttp: DEFAULT_PAGESERVER_HTTP_PORT,
} as const;
export const DEFAULT_SAFEKEEPER_COUNT = 3;
export const SAFEKEEPER_COUNT_MAX = 32;
export const DEFAULT_ETCD_BINARY = '/usr/bin/etcd';

export interface InitOptions {
  readonly safekeeperCount?: number;
  readonly remoteStorage?: RemoteStorageKind;
  readonly portOffset?: number;
  readonly sync?: boolean;
  readonly etcdBinary?: string;
  readonly etcdEndpoints?: readonly string[];
  readonly minioBinary?: string;
  readonly s3Endpoint?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly prefix?: string;
  /** false: no pageserver ([pageserver] enabled = false). */
  readonly pageserver?: boolean;
  /** false: the safekeepers do not offload ([[safekeepers]] wal_backup = false). */
  readonly walBackup?: boolean;
  /** true: the safekeepers serve the test-only routes ([[safekeepers]] testing = true). */
  readonly testing?: boolean;
  /** [[safekeepers]] wal_removal_interval, e.g. "200ms". */
  readonly walRemovalInterval?: string;
  /** [[safekeepers]] election_ttl, e.g. "2s". */
  readonly electionTtl?: string;
}

async function chooseStorageKind(
  options: InitOptions,
): Promise<{ kind: RemoteStorageKind; minioBinary: string }> {
  const configured = options.minioBinary ?? '';
  if (
    options.remoteStorage === 'minio' ||
    (options.remoteStorage === undefined && configured !== '')
  ) {
    const found = await findMinioBinary(configured);
    if (found === undefined) {
      throw new AppError(
        'unavailable',
        `no minio binary ${configured === '' ? 'on PATH' : `at ${configured}`}`,
        {
          hints: ['Install MinIO, pass --minio-binary PATH, or use --remote-storage embedded.'],
        },
      );
    }
    return { kind: 'minio', minioBinary: configured };
  }
  if (options.remoteStorage !== undefined) return { kind: options.remoteStorage, minioBinary: '' };
  return (await findMinioBinary('')) === undefined
    ? { kind: 'embedded', minioBinary: '' }
    : { kind: 'minio', minioBinary: '' };
}

async function checkEtcdBinary(binary: string): Promise<void> {
  try {
    await access(binary, constants.X_OK);
  } catch {
    throw new AppError('unavailable', `etcd binary ${binary} is missing or not executable`, {
      hints: [
        'Run bin/setup (installs Debian etcd-server), or pass --etcd-binary PATH or --etcd-endpoints URL.',
      ],
    });
  }
}

export async function createConfigText(
  options: InitOptions,
  createdAt: Date,
): Promise<{ text: string; config: ClusterConfig }> {
  const count = options.safekeeperCount ?? DEFAULT_SAFEKEEPER_COUNT;
  if (!Number.isInteger(count) || count < 1 || count > SAFEKEEPER_COUNT_MAX) {
    throw new AppError(
      'usage',
      `invalid safekeeper count ${count}: expected 1 to ${SAFEKEEPER_COUNT_MAX}`,
    );
  }
  const offset = options.portOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset > 50_000) {
    throw new AppError('usage', `invalid port offset ${offset}: expected 0 to 50000`);
  }
  const etcdEndpoints = options.etcdEndpoints ?? [];
  const etcdBinary = options.etcdBinary ?? DEFAULT_ETCD_BINARY;
  if (etcdEndpoints.length === 0) await checkEtcdBinary(etcdBinary);
  const storage = await chooseStorageKind(options);
  if (storage.kind !== 's3' && options.s3Endpoint !== undefined) {
    throw new AppError('usage', '--s3-endpoint needs --remote-storage s3');
  }

  const taken = new Set<number>();
  const pick = async (preferred: number): Promise<number> => {
    const port = await findFreePort(preferred + offset, taken);
    taken.add(port);
    return port;
  };
  const values: Record<string, string> = {
    created_at: createdAt.toISOString(),
    etcd_binary: tomlValue(etcdBinary),
    etcd_client_port: String(await pick(DEFAULT_PORTS.etcdClient)),
    etcd_peer_port: String(await pick(DEFAULT_PORTS.etcdPeer)),
    etcd_endpoints: tomlValue(etcdEndpoints),
    etcd_prefix: tomlValue('neon'),
    storage_kind: tomlValue(storage.kind),
    storage_port: String(await pick(DEFAULT_PORTS.storage)),
    storage_console_port: String(await pick(DEFAULT_PORTS.storageConsole)),
    minio_binary: tomlValue(storage.minioBinary),
    storage_endpoint: tomlValue(options.s3Endpoint ?? ''),
    storage_bucket: tomlValue(options.bucket ?? 'neon-local'),
    storage_region: tomlValue(options.region ?? 'us-east-1'),
    storage_prefix: tomlValue(options.prefix ?? 'safekeeper-wal'),
  };
  let text = await renderTemplateFile('config.toml', values);
  for (let index = 0; index < count; index++) {
    text += await renderTemplateFile('safekeeper.toml', {
      id: String(index + 1),
      pg_port: String(await pick(DEFAULT_PORTS.safekeeperPg + index)),
      http_port: String(await pick(DEFAULT_PORTS.safekeeperHttp + index)),
      sync: tomlValue(options.sync ?? true),
      wal_backup: tomlValue(options.walBackup ?? true),
      election_ttl: tomlValue(options.electionTtl ?? DEFAULT_ELECTION_TTL),
      wal_removal_interval: tomlValue(options.walRemovalInterval ?? DEFAULT_WAL_REMOVAL_INTERVAL),
      control_file_save_interval: tomlValue(DEFAULT_CONTROL_FILE_SAVE_INTERVAL),
      testing: tomlValue(options.testing ?? false),
    });
  }
  text += await renderTemplateFile('pageserver.toml', {
    pageserver_enabled: tomlValue(options.pageserver ?? true),
    pageserver_http_port: String(await pick(DEFAULT_PORTS.pageserverHttp)),
    checkpoint_interval: tomlValue(DEFAULT_CHECKPOINT_INTERVAL),
    pageserver_sync: tomlValue(options.sync ?? true),
  });
  // The generated text must pass the same validation as a hand-edited one.
  return { text, config: parseClusterConfig(text, 'generated config') };
}
