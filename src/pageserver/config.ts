// The pageserver's command line (docs/pageserver.md), parsed and validated into a frozen config.
// This file and main.ts are the only places that look at argv.
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppError, describeError } from '../common/errors.js';
import { parseNodeId, type NodeId } from '../common/ids.js';
import { parseDurationMs } from '../common/units.js';
import { parseListenAddressFlag, type ListenAddress } from '../daemon-shell/listen.js';
import {
  parseRemoteStorage,
  type RemoteStorageSpec,
} from '../remote-storage/remote-storage-spec.js';

/** One safekeeper the pageserver may stream from: its WAL service and its admin API. */
export interface SafekeeperEndpoint {
  readonly id: NodeId;
  readonly host: string;
  readonly pgPort: number;
  /** Base URL of the admin API, without a trailing slash. */
  readonly httpUrl: string;
}

export interface PageserverConfig {
  readonly dataDir: string;
  readonly listenHttp: ListenAddress;
  readonly safekeepers: readonly SafekeeperEndpoint[];
  readonly remoteStorage: RemoteStorageSpec | undefined;
  readonly checkpointIntervalMs: number;
  readonly discoveryIntervalMs: number;
  readonly noSync: boolean;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 30_000;
export const DEFAULT_DISCOVERY_INTERVAL_MS = 1000;
const DEFAULT_LISTEN_HTTP = '127.0.0.1:9898';
/** The shortest interval either loop accepts (a smaller one would only spin). */
const INTERVAL_MIN_MS = 10;
const SAFEKEEPERS_MAX = 64;

export const USAGE = `usage: pageserver -D DIR --safekeepers ID=HOST:PGPORT=HTTPURL[,...] [--listen-http HOST:PORT]
                  [--remote-storage '{bucket_name = "b", bucket_region = "r", endpoint = "http://..."}']
                  [--checkpoint-interval 30s] [--discovery-interval 1s] [--no-sync]`;

function usageError(message: string): AppError {
  return new AppError('usage', message, { hints: [USAGE] });
}

const SAFEKEEPER_ENTRY = /^(\d+)=([^=\s]+):(\d{1,5})=(https?:\/\/[^\s/=]+)\/?$/;

/** `1=127.0.0.1:5454=http://127.0.0.1:7676,2=...`: ids unique, ports valid. */
export function parseSafekeeperList(text: string): SafekeeperEndpoint[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw usageError('--safekeepers lists no safekeeper');
  if (entries.length > SAFEKEEPERS_MAX)
    throw usageError(
      `--safekeepers lists ${entries.length} safekeepers, at most ${SAFEKEEPERS_MAX}`,
    );
  const endpoints = entries.map((entry) => {
    const match = SAFEKEEPER_ENTRY.exec(entry);
    const pgPort = Number(match?.[3]);
    if (match?.[1] === undefined || match[2] === undefined || match[4] === undefined)
      throw usageError(`invalid --safekeepers entry "${entry}": expected ID=HOST:PGPORT=HTTPURL`);
    if (!Number.isInteger(pgPort) || pgPort < 1 || pgPort > 65535)
      throw usageError(`invalid --safekeepers entry "${entry}": port ${match[3]} out of range`);
    return {
      id: parseNodeId(match[1], `safekeeper id in --safekeepers entry "${entry}"`),
      host: match[2],
      pgPort,
      httpUrl: match[4],
    };
  });
  const ids = endpoints.map((endpoint) => endpoint.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined)
    throw usageError(`--safekeepers lists safekeeper ${duplicate} twice`);
  return endpoints;
}

function parseInterval(text: string | undefined, flag: string, defaultMs: number): number {
  if (text === undefined) return defaultMs;
  const intervalMs = parseDurationMs(text, flag);
  if (intervalMs < INTERVAL_MIN_MS)
    throw usageError(`${flag} must be at least ${INTERVAL_MIN_MS}ms`);
  return intervalMs;
}

const OPTIONS = {
  dir: { type: 'string', short: 'D' },
  'listen-http': { type: 'string' },
  safekeepers: { type: 'string' },
  'remote-storage': { type: 'string' },
  'checkpoint-interval': { type: 'string' },
  'discovery-interval': { type: 'string' },
  'no-sync': { type: 'boolean', short: 'n' },
} as const;

export function parsePageserverArgs(argv: readonly string[]): PageserverConfig {
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
  if (values.safekeepers === undefined)
    throw usageError('missing --safekeepers ID=HOST:PGPORT=HTTPURL[,...]');
  return Object.freeze({
    dataDir: isAbsolute(values.dir) ? values.dir : resolve(values.dir),
    listenHttp: parseListenAddressFlag(
      values['listen-http'] ?? DEFAULT_LISTEN_HTTP,
      '--listen-http',
      [USAGE],
    ),
    safekeepers: Object.freeze(parseSafekeeperList(values.safekeepers)),
    remoteStorage:
      values['remote-storage'] === undefined
        ? undefined
        : parseRemoteStorage(values['remote-storage'], [USAGE]),
    checkpointIntervalMs: parseInterval(
      values['checkpoint-interval'],
      '--checkpoint-interval',
      DEFAULT_CHECKPOINT_INTERVAL_MS,
    ),
    discoveryIntervalMs: parseInterval(
      values['discovery-interval'],
      '--discovery-interval',
      DEFAULT_DISCOVERY_INTERVAL_MS,
    ),
    noSync: values['no-sync'] ?? false,
  });
}
