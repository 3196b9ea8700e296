// A safekeeper process (bin/safekeeper.js) with neon's flags. It writes its own pid file; it is
// ready when GET /v1/status answers with its own id.
import { join } from 'node:path';
import type { ClusterConfig, SafekeeperConfig } from '../config.js';
import { etcdEndpoints, storageEndpoint } from '../config.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { etcdFailureSummary } from '../etcd-failure.js';
import { probeHttp } from '../process/http-probe.js';
import { LOOPBACK_HOST } from '../process/ports.js';
import { extraCaCertsEnv } from '../process/spawn-daemon.js';
import type { RepoLayout } from '../repo-layout.js';
import { credentialsEnv, storageCredentials } from '../storage-credentials.js';
import type { ManagedComponent, ReadyProbe } from './component.js';

export const SAFEKEEPER_SCRIPT = join(PACKAGE_ROOT, 'bin', 'safekeeper.js');

/** neon's --remote-storage value: a TOML inline table. */
export function remoteStorageArg(config: ClusterConfig): string {
  const storage = config.remoteStorage;
  const fields: [string, string][] = [
    ['bucket_name', storage.bucket],
    ['bucket_region', storage.region],
    ['endpoint', storageEndpoint(config)],
    ['prefix_in_bucket', storage.prefix],
  ];
  return `{${fields.map(([key, value]) => `${key} = ${JSON.stringify(value)}`).join(', ')}}`;
}

export function safekeeperArgs(
  config: ClusterConfig,
  sk: SafekeeperConfig,
  dataDir: string,
): string[] {
  return [
    SAFEKEEPER_SCRIPT,
    '-D',
    dataDir,
    '--id',
    String(sk.id),
    '--listen-pg',
    `${LOOPBACK_HOST}:${sk.pgPort}`,
    '--listen-http',
    `${LOOPBACK_HOST}:${sk.httpPort}`,
    '--broker-endpoints',
    etcdEndpoints(config).join(','),
    '--broker-etcd-prefix',
    config.etcd.prefix,
    '--remote-storage',
    remoteStorageArg(config),
    '--enable-wal-backup',
    String(sk.walBackup),
    '--wal-removal-interval',
    `${sk.walRemovalIntervalMs}ms`,
    '--control-file-save-interval',
    `${sk.controlFileSaveIntervalMs}ms`,
    '--election-ttl',
    `${sk.electionTtlMs}ms`,
    ...(sk.testing ? ['--testing'] : []),
    ...(sk.sync ? [] : ['--no-sync']),
  ];
}

/** How the safekeeper's /v1/status describes its broker, for the status detail. */
function brokerDetail(broker: unknown): string {
  if (typeof broker !== 'object' || broker === null) return '';
  const {
    connected,
    idle,
    last_error: lastError,
  } = broker as {
    connected?: unknown;
    idle?: unknown;
    last_error?: unknown;
  };
  if (connected === true) return ', broker connected';
  if (idle === true) return ', broker idle (no timelines)';
  // Not connected yet and nothing failed: it is still making its first call.
  if (typeof lastError !== 'string') return ', broker connecting';
  return `, broker: etcd ${etcdFailureSummary(lastError)}`;
}

/** Whether it offloads now: the timelines whose offload election it leads. */
function backupDetail(backup: unknown): string {
  if (typeof backup !== 'object' || backup === null) return '';
  const { configured, timelines_leading: leading } = backup as {
    configured?: unknown;
    timelines_leading?: unknown;
  };
  if (configured !== true) return ', no offload';
  if (typeof leading !== 'number' || leading === 0) return '';
  return `, offloading ${leading} ${leading === 1 ? 'timeline' : 'timelines'}`;
}

export async function probeSafekeeperStatus(
  httpUrl: string,
  id: number,
  timeoutMs: number,
): Promise<ReadyProbe> {
  const result = await probeHttp(`${httpUrl}/v1/status`, timeoutMs);
  if (!result.ok) return { ready: false, detail: `/v1/status: ${result.reason}` };
  const answer = safekeeperReadiness(result.body, id);
  return answer.ready ? answer : { ready: false, detail: `/v1/status: ${answer.detail}` };
}

/** What a safekeeper's status document (its /v1/status answer or readiness notice) says. */
export function safekeeperReadiness(document: string, id: number): ReadyProbe {
  try {
    const answer = JSON.parse(document) as {
      id?: unknown;
      broker?: unknown;
      wal_backup?: unknown;
    };
    const answeredId = answer.id;
    if (answeredId === id)
      return {
        ready: true,
        detail: `id ${id}${brokerDetail(answer.broker)}${backupDetail(answer.wal_backup)}`,
      };
    return { ready: false, detail: `id ${String(answeredId)} instead of ${id}` };
  } catch {
    return { ready: false, detail: 'not a JSON document' };
  }
}

export function safekeeperComponent(
  config: ClusterConfig,
  layout: RepoLayout,
  sk: SafekeeperConfig,
): ManagedComponent {
  const paths = layout.safekeeper(sk.id);
  const endpoint = `http://${LOOPBACK_HOST}:${sk.httpPort}`;
  return {
    managed: true,
    name: `sk${sk.id}`,
    kind: 'safekeeper',
    description: `safekeeper ${sk.id}`,
    ports: { pg: sk.pgPort, http: sk.httpPort },
    endpoint,
    paths,
    identity: { program: 'safekeeper.js', dataDir: paths.dataDir },
    writesOwnPidFile: true,
    readinessFromNotice: (line) => safekeeperReadiness(line, sk.id),
    probe: (timeoutMs) => probeSafekeeperStatus(endpoint, sk.id, timeoutMs),
    launchSpec: () =>
      Promise.resolve({
        command: process.execPath,
        args: safekeeperArgs(config, sk, paths.dataDir),
        env: {
          ...credentialsEnv(storageCredentials(config)),
          ...extraCaCertsEnv([...etcdEndpoints(config), storageEndpoint(config)]),
        },
        cwd: paths.homeDir,
        logFile: paths.logFile,
      }),
    afterReady: () => Promise.resolve(),
  };
}
