// The safekeeper's command line (neon's flags), parsed and validated into a frozen config.
// This file and main.ts are the only places that look at argv.
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { AppError, describeError } from '../common/errors.js';
import { parseNodeId, type NodeId } from '../common/ids.js';
import { parseDurationMs } from '../common/units.js';

import type { ListenAddress } from '../daemon-shell/listen.js';

export type { ListenAddress };

export interface RemoteStorageSpec {
  readonly bucketName: string;
  readonly bucketRegion: string;
  readonly endpoint: string | undefined;
  readonly prefixInBucket: string | undefined;
}

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
}

/** What the command line asks for: run the daemon, or print a control file and exit. */
export type SafekeeperCommand =
  | { readonly kind: 'run'; readonly config: SafekeeperConfig }
  | { readonly kind: 'dump-control-file'; readonly path: string };

const DEFAULT_CONTROL_FILE_SAVE_INTERVAL_MS = 300_000;

export const USAGE = `usage: safekeeper -D DIR [--id N] [--listen-pg HOST:PORT] [--listen-http HOST:PORT]
                  [--broker-endpoints URL[,URL...]] [--broker-etcd-prefix PREFIX]
                  [--remote-storage '{bucket_name = "b", bucket_region = "r", endpoint = "http://..."}']
                  [--no-sync] [--control-file-save-interval 300s]
       safekeeper --dump-control-file PATH`;

function usageError(message: string): AppError {
  return new AppError('usage', message, { hints: [USAGE] });
}

export function parseListenAddress(text: string, flag: string): ListenAddress {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw usageError(`invalid ${flag} "${text}": expected HOST:PORT`);
  }
  return { host: match[1], port };
}

/** neon's --remote-storage: a TOML inline table with bucket_name + bucket_region (S3 only). */
export function parseRemoteStorage(text: string): RemoteStorageSpec {
  let table: Record<string, unknown>;
  try {
    table = (parseToml(`remote_storage = ${text}`) as { remote_storage: Record<string, unknown> })
      .remote_storage;
  } catch (error) {
    throw usageError(`invalid --remote-storage: not a TOML inline table: ${describeError(error)}`);
  }
  const known = [
    'bucket_name',
    'bucket_region',
    'endpoint',
    'prefix_in_bucket',
    'local_path',
    'max_concurrent_syncs',
    'max_sync_errors',
    'concurrency_limit',
  ];
  const unknown = Object.keys(table).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw usageError(`invalid --remote-storage: unknown key ${unknown.join(', ')}`);
  if ('local_path' in table)
    throw usageError(
      'invalid --remote-storage: local_path storage is not supported; use an S3 bucket',
    );
  const text_ = (key: string): string | undefined => {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw usageError(`invalid --remote-storage: ${key} must be a string`);
    return value;
  };
  const bucketName = text_('bucket_name');
  const bucketRegion = text_('bucket_region');
  if (bucketName === undefined)
    throw usageError("invalid --remote-storage: no 'bucket_name' option");
  if (bucketRegion === undefined)
    throw usageError(
      "invalid --remote-storage: 'bucket_region' option is mandatory if 'bucket_name' is given",
    );
  return {
    bucketName,
    bucketRegion,
    endpoint: text_('endpoint'),
    prefixInBucket: text_('prefix_in_bucket'),
  };
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

function parseSaveInterval(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONTROL_FILE_SAVE_INTERVAL_MS;
  const intervalMs = parseDurationMs(text, '--control-file-save-interval');
  if (intervalMs < 1) throw usageError('--control-file-save-interval must be at least 1ms');
  return intervalMs;
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
    controlFileSaveIntervalMs: parseSaveInterval(values['control-file-save-interval']),
  });
}
