// The cluster spec kept in `<repo>/config` (TOML): its types, validation and derived values.
// Validation names the offending key; the parsed config is frozen. Credentials are never part of
// it: they come from the environment (see storage-credentials.ts).
import { parse as parseToml } from 'smol-toml';
import { AppError, describeError } from '../common/errors.js';
import { isValidNodeId, type NodeId } from '../common/ids.js';
import { parseDurationMs } from '../common/units.js';
import { ConfigReader } from './config-reader.js';

export const CONFIG_FORMAT_VERSION = 1;
export const REMOTE_STORAGE_KINDS = ['embedded', 'minio', 's3'] as const;
export type RemoteStorageKind = (typeof REMOTE_STORAGE_KINDS)[number];

export interface EtcdConfig {
  readonly binary: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** External etcd endpoints; when non-empty neon_local starts no etcd and only checks these. */
  readonly endpoints: readonly string[];
  readonly prefix: string;
  readonly quotaBackendBytes: number;
}

export interface RemoteStorageConfig {
  readonly kind: RemoteStorageKind;
  /** Listening port of the embedded server or of MinIO (unused for kind = s3). */
  readonly port: number;
  /** MinIO console port (unused otherwise). */
  readonly consolePort: number;
  /** MinIO binary; "" means: look on PATH. */
  readonly minioBinary: string;
  /** kind = s3: the external endpoint URL; "" means AWS's default endpoint for the region. */
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly prefix: string;
}

export interface SafekeeperConfig {
  readonly id: NodeId;
  readonly pgPort: number;
  readonly httpPort: number;
  /** false passes --no-sync (no fsync at all: for throwaway test clusters only). */
  readonly sync: boolean;
  /** false: --enable-wal-backup false (no offload; backup_lsn does not hold removal back). */
  readonly walBackup: boolean;
  readonly walRemovalIntervalMs: number;
  readonly controlFileSaveIntervalMs: number;
  /** Lease TTL of the offload elections (whole seconds). */
  readonly electionTtlMs: number;
  /** true: --testing (the test-only admin routes answer). */
  readonly testing: boolean;
}

export interface PageserverConfig {
  /** false: neon_local starts no pageserver (nothing consumes the WAL or reports remote_consistent_lsn). */
  readonly enabled: boolean;
  readonly httpPort: number;
  /** How often it uploads what it holds and reports it as ps_applylsn. */
  readonly checkpointIntervalMs: number;
  /** false passes --no-sync (no fsync at all: for throwaway test clusters only). */
  readonly sync: boolean;
}

export interface ClusterConfig {
  readonly etcd: EtcdConfig;
  readonly remoteStorage: RemoteStorageConfig;
  readonly safekeepers: readonly SafekeeperConfig[];
  readonly pageserver: PageserverConfig;
}

/** neon's pageserver HTTP port; a config without [pageserver] gets it (and the pageserver on). */
export const DEFAULT_PAGESERVER_HTTP_PORT = 9898;
export const DEFAULT_CHECKPOINT_INTERVAL = '30s';
const CHECKPOINT_INTERVAL_MIN_MS = 100;
const CHECKPOINT_INTERVAL_MAX_MS = 24 * 3600 * 1000;

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ETCD_PREFIX = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

export function parseClusterConfig(text: string, source: string): ClusterConfig {
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (error) {
    throw new AppError(
      'bad-config',
      `bad config ${source}: not valid TOML: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  }
  const root = new ConfigReader(document, '', source);
  const cluster = root.subTable('cluster');
  const version = cluster.integer('format_version', { min: 1, max: 1_000_000 });
  if (version !== CONFIG_FORMAT_VERSION) {
    cluster.fail(
      'format_version',
      `is ${version}, but this neon_local understands ${CONFIG_FORMAT_VERSION}`,
    );
  }
  cluster.string('created_at', '');
  cluster.finish();
  const config: ClusterConfig = {
    etcd: readEtcd(root.subTable('etcd')),
    remoteStorage: readRemoteStorage(root.subTable('remote_storage')),
    safekeepers: root.tableArray('safekeepers').map(readSafekeeper),
    pageserver: readPageserver(root.subTable('pageserver')),
  };
  root.finish();
  checkClusterWide(config, root);
  return deepFreeze(config);
}

function readEtcd(table: ConfigReader): EtcdConfig {
  const endpoints = table.stringArray('endpoints', []);
  for (const endpoint of endpoints) {
    if (!/^https?:\/\/[^/\s]+$/.test(endpoint)) {
      table.fail('endpoints', `must hold URLs like http://127.0.0.1:2379 (got "${endpoint}")`);
    }
  }
  const prefix = table.string('prefix', 'neon');
  if (!ETCD_PREFIX.test(prefix))
    table.fail('prefix', `must be path-like without leading or trailing "/" (got "${prefix}")`);
  const etcd: EtcdConfig = {
    binary: table.string('binary', '/usr/bin/etcd'),
    clientPort: table.port('client_port'),
    peerPort: table.port('peer_port'),
    endpoints,
    prefix,
    quotaBackendBytes: table.integer(
      'quota_backend_bytes',
      { min: 16 * 1024 * 1024, max: 8 * 1024 ** 3 },
      100 * 1024 * 1024,
    ),
  };
  table.finish();
  return etcd;
}

function readRemoteStorage(table: ConfigReader): RemoteStorageConfig {
  const kind = table.oneOf('kind', REMOTE_STORAGE_KINDS, 'embedded');
  const storage: RemoteStorageConfig = {
    kind,
    port: table.port('port', 9000),
    consolePort: table.port('console_port', 9001),
    minioBinary: table.string('minio_binary', ''),
    endpoint: table.string('endpoint', ''),
    bucket: table.string('bucket', 'neon-local'),
    region: table.string('region', 'us-east-1'),
    prefix: table.string('prefix', 'safekeeper-wal'),
  };
  if (!BUCKET_NAME.test(storage.bucket)) {
    table.fail(
      'bucket',
      `must be a valid S3 bucket name: 3-63 lower-case letters, digits, "." or "-" (got "${storage.bucket}")`,
    );
  }
  if (storage.endpoint !== '' && !/^https?:\/\/[^/\s]+\/?$/.test(storage.endpoint)) {
    table.fail('endpoint', `must be a URL like http://127.0.0.1:9000 (got "${storage.endpoint}")`);
  }
  if (storage.prefix.startsWith('/') || storage.prefix.endsWith('/')) {
    table.fail('prefix', `must not start or end with "/" (got "${storage.prefix}")`);
  }
  if (storage.region.trim() === '') table.fail('region', 'must not be empty');
  if (kind !== 's3' && storage.endpoint !== '') {
    table.fail('endpoint', `is only used with kind = "s3" (kind is "${kind}")`);
  }
  table.finish();
  return storage;
}

export const DEFAULT_WAL_REMOVAL_INTERVAL = '5s';
export const DEFAULT_CONTROL_FILE_SAVE_INTERVAL = '300s';
export const DEFAULT_ELECTION_TTL = '5s';

function readSafekeeper(table: ConfigReader): SafekeeperConfig {
  const id = table.integer('id', { min: 1, max: 2 ** 31 - 1 });
  if (!isValidNodeId(id)) table.fail('id', 'must be a positive integer');
  const safekeeper: SafekeeperConfig = {
    id,
    pgPort: table.port('pg_port'),
    httpPort: table.port('http_port'),
    sync: table.boolean('sync', true),
    walBackup: table.boolean('wal_backup', true),
    walRemovalIntervalMs: table.duration(
      'wal_removal_interval',
      { minMs: 10, maxMs: 24 * 3600_000 },
      DEFAULT_WAL_REMOVAL_INTERVAL,
    ),
    controlFileSaveIntervalMs: table.duration(
      'control_file_save_interval',
      { minMs: 1, maxMs: 24 * 3600_000 },
      DEFAULT_CONTROL_FILE_SAVE_INTERVAL,
    ),
    electionTtlMs: table.duration(
      'election_ttl',
      { minMs: 1000, maxMs: 600_000 },
      DEFAULT_ELECTION_TTL,
    ),
    testing: table.boolean('testing', false),
  };
  if (safekeeper.electionTtlMs % 1000 !== 0)
    table.fail('election_ttl', 'must be whole seconds (etcd leases are granted in seconds)');
  table.finish();
  return safekeeper;
}

function readPageserver(table: ConfigReader): PageserverConfig {
  const intervalText = table.string('checkpoint_interval', DEFAULT_CHECKPOINT_INTERVAL);
  let checkpointIntervalMs: number;
  try {
    checkpointIntervalMs = parseDurationMs(intervalText, 'checkpoint interval');
  } catch {
    table.fail(
      'checkpoint_interval',
      `must be a duration like "30s" or "5m" (got "${intervalText}")`,
    );
  }
  if (
    checkpointIntervalMs < CHECKPOINT_INTERVAL_MIN_MS ||
    checkpointIntervalMs > CHECKPOINT_INTERVAL_MAX_MS
  )
    table.fail('checkpoint_interval', `must be between 100ms and 24h (got "${intervalText}")`);
  const pageserver: PageserverConfig = {
    enabled: table.boolean('enabled', true),
    httpPort: table.port('http_port', DEFAULT_PAGESERVER_HTTP_PORT),
    checkpointIntervalMs,
    sync: table.boolean('sync', true),
  };
  table.finish();
  return pageserver;
}

function checkClusterWide(config: ClusterConfig, root: ConfigReader): void {
  if (config.safekeepers.length === 0)
    root.fail('safekeepers', 'must list at least one [[safekeepers]] entry');
  const ids = new Set<number>();
  const ports = new Map<number, string>();
  const claim = (port: number, key: string): void => {
    const other = ports.get(port);
    if (other !== undefined) root.fail(key, `uses port ${port}, which ${other} already uses`);
    ports.set(port, key);
  };
  if (config.etcd.endpoints.length === 0) {
    claim(config.etcd.clientPort, 'etcd.client_port');
    claim(config.etcd.peerPort, 'etcd.peer_port');
  }
  if (config.remoteStorage.kind !== 's3') claim(config.remoteStorage.port, 'remote_storage.port');
  if (config.remoteStorage.kind === 'minio')
    claim(config.remoteStorage.consolePort, 'remote_storage.console_port');
  config.safekeepers.forEach((sk, index) => {
    if (ids.has(sk.id)) root.fail(`safekeepers[${index}].id`, `repeats safekeeper id ${sk.id}`);
    ids.add(sk.id);
    claim(sk.pgPort, `safekeepers[${index}].pg_port`);
    claim(sk.httpPort, `safekeepers[${index}].http_port`);
  });
  if (config.pageserver.enabled) claim(config.pageserver.httpPort, 'pageserver.http_port');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function isEtcdExternal(config: ClusterConfig): boolean {
  return config.etcd.endpoints.length > 0;
}

export function etcdEndpoints(config: ClusterConfig): readonly string[] {
  return isEtcdExternal(config)
    ? config.etcd.endpoints
    : [`http://127.0.0.1:${config.etcd.clientPort}`];
}

export function storageEndpoint(config: ClusterConfig): string {
  const storage = config.remoteStorage;
  if (storage.kind === 's3') {
    return storage.endpoint === ''
      ? `https://s3.${storage.region}.amazonaws.com`
      : storage.endpoint.replace(/\/$/, '');
  }
  return `http://127.0.0.1:${storage.port}`;
}

export function findSafekeeper(config: ClusterConfig, id: NodeId): SafekeeperConfig {
  const found = config.safekeepers.find((sk) => sk.id === id);
  if (found === undefined) {
    throw new AppError('not-found', `no safekeeper with id ${id} in this cluster`, {
      hints: [`Known ids: ${config.safekeepers.map((sk) => sk.id).join(', ')}.`],
    });
  }
  return found;
}
