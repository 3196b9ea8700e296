// The safekeeper's command line (neon's flags), parsed and validated into a frozen config.
// This file and main.ts are the only places that look at argv.
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError, describeError } from '../common/errors.js';
import { parseNodeId, type NodeId } from '../common/ids.js';
import { parseDurationMs } from '../common/units.js';
import {
  parseRemoteStorage as parseRemoteStorageSpec,
  type RemoteStorageSpec,
} from '../remote-storage/remote-storage-spec.js';
import { parseListenAddressFlag, type ListenAddress } from '../daemon-shell/listen.js';

export type { ListenAddress };

export type { RemoteStorageSpec };

export interface SafekeeperConfig {
  readonly dataDir: string;
  /** undefined: take it from the identity file. */
  readonly id: NodeId | undefined;
  readonly listenPg: ListenAddress;
  readonly listenHttp: ListenAddress;
  readonly brokerEndpoints: readonly string[];
  readonly brokerEtcdPrefix: string;
  readonly remoteStorage: RemoteStorageSpec | undefined;
  readonly noSync: boolean;
  /** Opportunistic control-file persist interval (neon's 300 s CF_SAVE_INTERVAL). */
  readonly controlFileSaveIntervalMs: number;
  /** How often the removal loop visits every timeline (neon: 5 s). */
  readonly walRemovalIntervalMs: number;
  /** neon's --enable-wal-backup: false neither offloads nor lets backup_lsn bound removal. */
  readonly enableWalBackup: boolean;
  /** TTL of the lease behind each offload election (and the broker's publish lease). */
  readonly electionTtlMs: number;
  /** Segments uploaded at once by a timeline's offload (they complete in order). */
  readonly walBackupParallelJobs: number;
  /** Serves the test-only routes (POST /v1/record_safekeeper_info/...). */
  readonly testing: boolean;
}

/** Remote storage is configured and WAL backup is on: offload runs, backup_lsn bounds removal. */
export function walBackupConfigured(config: SafekeeperConfig): boolean {
  return config.remoteStorage !== undefined && config.enableWalBackup;
}

/** What the command line asks for: run the daemon, or print a control file and exit. */
export type SafekeeperCommand =
  | { readonly kind: 'run'; readonly config: SafekeeperConfig }
  | { readonly kind: 'dump-control-file'; readonly path: string };

const DEFAULT_CONTROL_FILE_SAVE_INTERVAL_MS = 300_000;
const DEFAULT_WAL_REMOVAL_INTERVAL_MS = 5000;
const DEFAULT_ELECTION_TTL_MS = 5000;
const DEFAULT_WAL_BACKUP_PARALLEL_JOBS = 4;

export const USAGE = `usage: safekeeper -D DIR [--id N] [--listen-pg HOST:PORT] [--listen-http HOST:PORT]
                  [--broker-endpoints URL[,URL...]] [--broker-etcd-prefix PREFIX]
                  [--remote-storage '{bucket_name = "b", bucket_region = "r", endpoint = "http://..."}']
                  [--enable-wal-backup true|false] [--wal-backup-parallel-jobs 4]
                  [--election-ttl 5s] [--wal-removal-interval 5s]
                  [--no-sync] [--control-file-save-interval 300s] [--testing]
       safekeeper --dump-control-file PATH`;

function usageError(message: string): AppError {
  return new AppError('usage', message, { hints: [USAGE] });
}

export function parseListenAddress(text: string, flag: string): ListenAddress {
  return parseListenAddressFlag(text, flag, [USAGE]);
}

/** neon's --remote-storage: a TOML inline table with bucket_name + bucket_region (S3 only). */
export function parseRemoteStorage(text: string): RemoteStorageSpec {
  return parseRemoteStorageSpec(text, [USAGE]);
}

const OPTIONS = {
  dir: { type: 'string', short: 'D' },
  id: { type: 'string' },
  'listen-pg': { type: 'string', short: 'l' },
  'listen-http': { type: 'string' },
  'broker-endpoints': { type: 'string' },
  'broker-etcd-prefix': { type: 'string' },
  'remote-storage': { type: 'string' },
  'no-sync': { type: 'boolean', short: 'n' },
  'control-file-save-interval': { type: 'string' },
  'wal-removal-interval': { type: 'string' },
  'enable-wal-backup': { type: 'string' },
  'election-ttl': { type: 'string' },
  'wal-backup-parallel-jobs': { type: 'string' },
  testing: { type: 'boolean' },
} as const;

export function parseSafekeeperCommand(argv: readonly string[]): SafekeeperCommand {
  const dumpIndex = argv.indexOf('--dump-control-file');
  if (dumpIndex !== -1) {
    const path = argv[dumpIndex + 1];
    if (path === undefined || path.startsWith('-') || argv.length !== 2)
      throw usageError('--dump-control-file takes one PATH and no other flags');
    return { kind: 'dump-control-file', path };
  }
  return { kind: 'run', config: parseSafekeeperArgs(argv) };
}

function parseInterval(
  text: string | undefined,
  flag: string,
  defaultMs: number,
  minMs: number,
): number {
  if (text === undefined) return defaultMs;
  const intervalMs = parseDurationMs(text, flag);
  if (intervalMs < minMs) throw usageError(`${flag} must be at least ${minMs}ms`);
  return intervalMs;
}

function parseBoolean(text: string | undefined, flag: string, defaultValue: boolean): boolean {
  if (text === undefined) return defaultValue;
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw usageError(`invalid ${flag} "${text}": expected true or false`);
}

function parseJobs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_WAL_BACKUP_PARALLEL_JOBS;
  const jobs = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(jobs >= 1 && jobs <= 64))
    throw usageError(`invalid --wal-backup-parallel-jobs "${text}": expected 1..64`);
  return jobs;
}

export function parseSafekeeperArgs(argv: readonly string[]): SafekeeperConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: OPTIONS,
    }));
  } catch (error) {
    throw usageError(describeError(error));
  }
  if (values.dir === undefined) throw usageError('missing -D DIR (the data directory)');
  const dataDir = isAbsolute(values.dir) ? values.dir : resolve(values.dir);
  const brokerEndpoints = (values['broker-endpoints'] ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
  for (const url of brokerEndpoints) {
    if (!/^https?:\/\/[^/\s]+$/.test(url))
      throw usageError(`invalid --broker-endpoints entry "${url}": expected http://HOST:PORT`);
  }
  return Object.freeze({
    dataDir,
    id: values.id === undefined ? undefined : parseNodeId(values.id, '--id'),
    listenPg: parseListenAddress(values['listen-pg'] ?? '127.0.0.1:5454', '--listen-pg'),
    listenHttp: parseListenAddress(values['listen-http'] ?? '127.0.0.1:7676', '--listen-http'),
    brokerEndpoints,
    brokerEtcdPrefix: values['broker-etcd-prefix'] ?? 'neon',
    remoteStorage:
      values['remote-storage'] === undefined
        ? undefined
        : parseRemoteStorage(values['remote-storage']),
    noSync: values['no-sync'] ?? false,
    controlFileSaveIntervalMs: parseInterval(
      values['control-file-save-interval'],
      '--control-file-save-interval',
      DEFAULT_CONTROL_FILE_SAVE_INTERVAL_MS,
      1,
    ),
    walRemovalIntervalMs: parseInterval(
      values['wal-removal-interval'],
      '--wal-removal-interval',
      DEFAULT_WAL_REMOVAL_INTERVAL_MS,
      10,
    ),
    enableWalBackup: parseBoolean(values['enable-wal-backup'], '--enable-wal-backup', true),
    // etcd grants leases in whole seconds.
    electionTtlMs: parseInterval(
      values['election-ttl'],
      '--election-ttl',
      DEFAULT_ELECTION_TTL_MS,
      1000,
    ),
    walBackupParallelJobs: parseJobs(values['wal-backup-parallel-jobs']),
    testing: values.testing ?? false,
  });
}
