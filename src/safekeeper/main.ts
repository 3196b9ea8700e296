// The safekeeper daemon's entry: parse argv, take the data dir lock, establish identity, bind
// the WAL service and HTTP ports, write the pid file, then run its services as supervised tasks
// of the daemon shell (daemon-shell/daemon-runner.ts): a task that fails takes the process down
// with exit 1; SIGTERM and SIGINT drain and exit 0; SIGQUIT exits at once.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT_CODES } from '../common/errors.js';
import { acquireFileLock } from '../common/file-lock.js';
import { createDaemonLogger, type Logger } from '../common/log.js';
import {
  exitWithError,
  makeCreatedFilesPrivate,
  runDaemon,
  type StartedDaemon,
} from '../daemon-shell/daemon-runner.js';
import { listen, serveUntilAborted } from '../daemon-shell/listen.js';
import { sendReadyNotice } from '../daemon-shell/ready-notice.js';
import type { TaskSupervisor } from '../daemon-shell/task-supervisor.js';
import { parseSafekeeperCommand, walBackupConfigured, type SafekeeperConfig } from './config.js';
import { formatControlFileDump } from './control-file/control-file-dump.js';
import { readControlFile } from './control-file/control-file-store.js';
import { createHttpServer, safekeeperStatusDocument } from './http/server.js';
import { createMetrics, type SafekeeperMetrics } from './http/metrics.js';
import { establishIdentity } from './identity.js';
import { createWalService } from './pg-wire/wal-service-listener.js';
import { Broker } from './broker/broker.js';
import { createBrokerMetrics } from './broker/broker-metrics.js';
import { EtcdHolder } from './broker/etcd-connection.js';
import { runWalRemoval } from './remove-wal/removal-loop.js';
import { runPeriodicPersist } from './timeline/periodic-persist.js';
import { TimelineRegistry } from './timeline/timeline-registry.js';
import { leaseTtlSeconds } from './wal-backup/offload-plan.js';
import { credentialsFromEnv, SegmentUploader } from './wal-backup/segment-uploader.js';
import { WalBackup } from './wal-backup/wal-backup.js';

export const PID_FILE = 'safekeeper.pid';
export const LOCK_FILE = 'safekeeper.lock';
const DRAIN_TIMEOUT_MS = 5000;

async function startServices(
  config: SafekeeperConfig,
  log: Logger,
  supervisor: TaskSupervisor,
): Promise<StartedDaemon> {
  await mkdir(config.dataDir, { recursive: true });
  const lock = await acquireFileLock(join(config.dataDir, LOCK_FILE), {
    waitMs: 0,
    what: `safekeeper data dir ${config.dataDir}`,
  });
  const nodeId = await establishIdentity(config.dataDir, config.id, !config.noSync);
  const nodeLog = log.child({ node: nodeId });
  const metrics = createMetrics(nodeId);
  const timelines = new TimelineRegistry({
    dataDir: config.dataDir,
    noSync: config.noSync,
    controlFileSaveIntervalMs: config.controlFileSaveIntervalMs,
    walBackupConfigured: walBackupConfigured(config),
    log: nodeLog,
    observerFor: (tenantId, timelineId) => metrics.observerFor(tenantId, timelineId),
    onDeleted: (tenantId, timelineId) => metrics.forgetTimeline(tenantId, timelineId),
  });
  const { loaded, broken } = await timelines.loadAll();
  nodeLog.info({ loaded, broken }, 'timelines loaded');
  metrics.watchTimelines(timelines);
  // The one etcd client of the daemon (the broker and the offload elections): made on first
  // use, after the ports are bound.
  const etcd = new EtcdHolder(config.brokerEndpoints);
  const broker =
    config.brokerEndpoints.length === 0
      ? undefined
      : new Broker({
          nodeId,
          prefix: config.brokerEtcdPrefix,
          walServiceAddress: `${config.listenPg.host}:${config.listenPg.port}`,
          timelines,
          etcd: () => etcd.get(),
          log: nodeLog,
          metrics: createBrokerMetrics(metrics.registry),
        });
  const walBackup = createWalBackup(config, nodeId, timelines, etcd, metrics, nodeLog);
  const statusSources = { nodeId, brokerStatus: () => broker?.status(), walBackup };
  const http = createHttpServer({
    ...statusSources,
    metrics,
    timelines,
    log: nodeLog,
    testing: config.testing,
  });
  const walService = createWalService({ nodeId, registry: timelines, log: nodeLog });
  // HTTP comes last: /v1/status is the readiness probe, so an answer must mean that the WAL
  // port is bound and the pid file (which the control plane signals through) is written.
  await listen(walService.server, config.listenPg, 'WAL service');
  // Walproposer connections never end by themselves: they are ended when the task stops.
  supervisor.start('wal-service', (signal) =>
    serveUntilAborted(walService.server, signal, () => walService.closeConnections()),
  );
  const pidFile = join(config.dataDir, PID_FILE);
  await writeFile(pidFile, `${process.pid}\n`);
  try {
    await listen(http, config.listenHttp, 'HTTP');
  } catch (error) {
    await rm(pidFile, { force: true });
    throw error;
  }
  supervisor.start('http', (signal) => serveUntilAborted(http, signal));
  supervisor.start('periodic-persist', (signal) =>
    runPeriodicPersist(timelines, config.controlFileSaveIntervalMs, nodeLog, signal),
  );
  supervisor.start('wal-removal', (signal) =>
    runWalRemoval(timelines, config.walRemovalIntervalMs, nodeLog, signal),
  );
  // Started after the ports are bound: etcd3 and gRPC take ~125 ms to load.
  if (broker !== undefined) supervisor.start('broker', (signal) => broker.run(signal));
  if (walBackup !== undefined) supervisor.start('wal-backup', (signal) => walBackup.run(signal));
  nodeLog.info(
    {
      dataDir: config.dataDir,
      listenPg: config.listenPg,
      listenHttp: config.listenHttp,
      broker: config.brokerEndpoints,
      remoteStorage: config.remoteStorage?.bucketName ?? null,
      noSync: config.noSync,
      tasks: supervisor.taskNames,
    },
    'safekeeper started',
  );
  // What GET /v1/status would answer (common/ready-notice.ts), once it would answer at once: with
  // timelines, the broker loads the etcd client right now, about 100 ms of CPU on the event loop
  // during which no request is answered, so the notice waits for that load (a failed one is the
  // broker's to report).
  const etcdLoading =
    broker !== undefined && timelines.loadedTimelines().length > 0
      ? etcd.get().then(
          () => undefined,
          () => undefined,
        )
      : Promise.resolve();
  void etcdLoading.then(() => sendReadyNotice(safekeeperStatusDocument(statusSources)));
  return {
    log: nodeLog,
    cleanup: async () => {
      await etcd.close();
      await timelines.closeAll();
      await rm(pidFile, { force: true });
      await lock.release();
    },
  };
}

/** The WAL offload when remote storage is configured and WAL backup is on. */
function createWalBackup(
  config: SafekeeperConfig,
  nodeId: number,
  timelines: TimelineRegistry,
  etcd: EtcdHolder,
  metrics: SafekeeperMetrics,
  log: Logger,
): WalBackup | undefined {
  const spec = config.remoteStorage;
  if (spec === undefined || !walBackupConfigured(config)) return undefined;
  return new WalBackup({
    registry: timelines,
    log,
    context: {
      nodeId,
      etcdPrefix: config.brokerEtcdPrefix,
      ttlSeconds: leaseTtlSeconds(config.electionTtlMs),
      parallelJobs: config.walBackupParallelJobs,
      prefixInBucket: spec.prefixInBucket,
      etcd,
      uploader: new SegmentUploader(
        spec,
        credentialsFromEnv(process.env),
        config.walBackupParallelJobs,
      ),
      observer: metrics.walBackup,
    },
  });
}

/** `--dump-control-file PATH`: print the decoded state as one JSON line (exit 8 if corrupt). */
async function dumpControlFile(path: string): Promise<never> {
  try {
    const { state } = await readControlFile(path);
    process.stdout.write(`${formatControlFileDump(state)}\n`);
  } catch (error) {
    exitWithError('safekeeper', error, EXIT_CODES.internal);
  }
  process.exit(EXIT_CODES.ok);
}

export async function main(argv: readonly string[]): Promise<void> {
  let config: SafekeeperConfig;
  try {
    const command = parseSafekeeperCommand(argv);
    if (command.kind === 'dump-control-file') return await dumpControlFile(command.path);
    config = command.config;
  } catch (error) {
    exitWithError('safekeeper', error, EXIT_CODES.usage);
  }
  makeCreatedFilesPrivate();
  const log = createDaemonLogger('safekeeper');
  await runDaemon({
    name: 'safekeeper',
    log,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
    start: (supervisor) => startServices(config, log, supervisor),
  });
}
