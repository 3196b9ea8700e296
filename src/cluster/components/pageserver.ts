// The minimal pageserver (bin/pageserver.js, docs/pageserver.md): it is told every safekeeper's
// WAL and HTTP addresses and the bucket on its command line, writes its own pid file, and is
// ready when GET /v1/status answers with id "pageserver".
import { join } from 'node:path';
import { storageEndpoint, type ClusterConfig } from '../config.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { probeHttp } from '../process/http-probe.js';
import { LOOPBACK_HOST } from '../process/ports.js';
import { extraCaCertsEnv } from '../process/spawn-daemon.js';
import type { RepoLayout } from '../repo-layout.js';
import { credentialsEnv, storageCredentials } from '../storage-credentials.js';
import type { ManagedComponent, ReadyProbe } from './component.js';
import { remoteStorageArg } from './safekeeper.js';

export const PAGESERVER_SCRIPT = join(PACKAGE_ROOT, 'bin', 'pageserver.js');
/** What GET /v1/status answers as its id. */
export const PAGESERVER_STATUS_ID = 'pageserver';

export function pageserverHttpUrl(config: ClusterConfig): string {
  return `http://${LOOPBACK_HOST}:${config.pageserver.httpPort}`;
}

/** `ID=HOST:PGPORT=HTTPURL` per safekeeper, comma-separated. */
export function safekeepersArg(config: ClusterConfig): string {
  return config.safekeepers
    .map((sk) => `${sk.id}=${LOOPBACK_HOST}:${sk.pgPort}=http://${LOOPBACK_HOST}:${sk.httpPort}`)
    .join(',');
}

export function pageserverArgs(config: ClusterConfig, dataDir: string): string[] {
  return [
    PAGESERVER_SCRIPT,
    '-D',
    dataDir,
    '--listen-http',
    `${LOOPBACK_HOST}:${config.pageserver.httpPort}`,
    '--safekeepers',
    safekeepersArg(config),
    '--remote-storage',
    remoteStorageArg(config),
    '--checkpoint-interval',
    `${config.pageserver.checkpointIntervalMs}ms`,
    ...(config.pageserver.sync ? [] : ['--no-sync']),
  ];
}

async function probePageserverStatus(httpUrl: string, timeoutMs: number): Promise<ReadyProbe> {
  const result = await probeHttp(`${httpUrl}/v1/status`, timeoutMs);
  if (!result.ok) return { ready: false, detail: `/v1/status: ${result.reason}` };
  const answer = pageserverReadiness(result.body);
  return answer.ready ? answer : { ready: false, detail: `/v1/status: ${answer.detail}` };
}

/** What the pageserver's status document (its /v1/status answer or readiness notice) says. */
function pageserverReadiness(document: string): ReadyProbe {
  try {
    const status = JSON.parse(document) as { id?: unknown; timelines?: unknown };
    if (status.id !== PAGESERVER_STATUS_ID)
      return { ready: false, detail: `id ${String(status.id)} instead of ${PAGESERVER_STATUS_ID}` };
    const count = typeof status.timelines === 'number' ? status.timelines : 0;
    return { ready: true, detail: `${count} ${count === 1 ? 'timeline' : 'timelines'}` };
  } catch {
    return { ready: false, detail: 'not a JSON document' };
  }
}

export function pageserverComponent(config: ClusterConfig, layout: RepoLayout): ManagedComponent {
  const paths = layout.pageserver;
  const endpoint = pageserverHttpUrl(config);
  return {
    managed: true,
    name: 'pageserver',
    kind: 'pageserver',
    description: 'pageserver',
    ports: { http: config.pageserver.httpPort },
    endpoint,
    paths,
    identity: { program: 'pageserver.js', dataDir: paths.dataDir },
    writesOwnPidFile: true,
    readinessFromNotice: pageserverReadiness,
    probe: (timeoutMs) => probePageserverStatus(endpoint, timeoutMs),
    launchSpec: () =>
      Promise.resolve({
        command: process.execPath,
        args: pageserverArgs(config, paths.dataDir),
        // Its other peers, the safekeepers, answer plain HTTP on loopback.
        env: {
          ...credentialsEnv(storageCredentials(config)),
          ...extraCaCertsEnv([storageEndpoint(config)]),
        },
        cwd: paths.homeDir,
        logFile: paths.logFile,
      }),
    afterReady: () => Promise.resolve(),
  };
}
