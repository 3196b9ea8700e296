// etcd from Debian's etcd-server as a one-node local cluster: own name, own client and peer
// ports on loopback, own data dir, a backend quota, auto-compaction, and short heartbeat and
// election timings (one member: the election only delays start-up). Ready when /health says so.
import type { ClusterConfig } from '../config.js';
import { etcdEndpoints, isEtcdExternal } from '../config.js';
import { probeHttp } from '../process/http-probe.js';
import { LOOPBACK_HOST } from '../process/ports.js';
import type { RepoLayout } from '../repo-layout.js';
import type { Component, ReadyProbe } from './component.js';
import { basename } from 'node:path';

export const ETCD_MEMBER_NAME = 'neon-local';
const HEARTBEAT_INTERVAL_MS = 10;
const ELECTION_TIMEOUT_MS = 100;
const AUTO_COMPACTION_RETENTION_REVISIONS = 10_000;

export function etcdArgs(config: ClusterConfig, dataDir: string): string[] {
  const client = `http://${LOOPBACK_HOST}:${config.etcd.clientPort}`;
  const peer = `http://${LOOPBACK_HOST}:${config.etcd.peerPort}`;
  return [
    `--name=${ETCD_MEMBER_NAME}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${ETCD_MEMBER_NAME}=${peer}`,
    '--initial-cluster-state=new',
    `--initial-cluster-token=neon-local-${config.etcd.clientPort}`,
    `--quota-backend-bytes=${config.etcd.quotaBackendBytes}`,
    '--auto-compaction-mode=revision',
    `--auto-compaction-retention=${AUTO_COMPACTION_RETENTION_REVISIONS}`,
    `--heartbeat-interval=${HEARTBEAT_INTERVAL_MS}`,
    `--election-timeout=${ELECTION_TIMEOUT_MS}`,
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=warn',
  ];
}

export async function probeEtcdHealth(endpoint: string, timeoutMs: number): Promise<ReadyProbe> {
  const result = await probeHttp(`${endpoint}/health`, timeoutMs);
  if (!result.ok) return { ready: false, detail: `/health: ${result.reason}` };
  let healthy = false;
  try {
    healthy = (JSON.parse(result.body) as { health?: unknown }).health === 'true';
  } catch {
    healthy = false;
  }
  return healthy
    ? { ready: true, detail: 'healthy' }
    : { ready: false, detail: `/health answered ${result.body.trim()}` };
}

export function etcdComponent(config: ClusterConfig, layout: RepoLayout): Component {
  const endpoints = etcdEndpoints(config);
  const endpoint = endpoints[0] ?? '';
  const probe = async (timeoutMs: number): Promise<ReadyProbe> => {
    // An external cluster is ready when any endpoint is healthy.
    const results = await Promise.all(endpoints.map((url) => probeEtcdHealth(url, timeoutMs)));
    return (
      results.find((result) => result.ready) ??
      results[0] ?? { ready: false, detail: 'no endpoint' }
    );
  };
  if (isEtcdExternal(config)) {
    return {
      managed: false,
      name: 'etcd',
      kind: 'etcd',
      description: 'external etcd',
      ports: {},
      endpoint,
      probe,
    };
  }
  const paths = layout.etcd;
  return {
    managed: true,
    name: 'etcd',
    kind: 'etcd',
    description: 'etcd',
    ports: { client: config.etcd.clientPort, peer: config.etcd.peerPort },
    endpoint,
    paths,
    identity: { program: basename(config.etcd.binary), dataDir: paths.dataDir },
    writesOwnPidFile: false,
    readinessFromNotice: undefined,
    probe,
    launchSpec: () =>
      Promise.resolve({
        command: config.etcd.binary,
        args: etcdArgs(config, paths.dataDir),
        env: {},
        cwd: paths.homeDir,
        logFile: paths.logFile,
      }),
    afterReady: () => Promise.resolve(),
  };
}
