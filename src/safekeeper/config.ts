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
