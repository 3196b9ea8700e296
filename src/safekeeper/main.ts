// The safekeeper daemon's entry: parse argv, take the data dir lock, establish identity, bind
// the HTTP and WAL service ports, write the pid file, then run until a signal. Long-running
// services are supervised: if one fails unexpectedly the process logs and exits 1; SIGTERM and
// SIGINT drain and exit 0; SIGQUIT exits at once.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { AppError, describeError, EXIT_CODES, isAppError } from '../common/errors.js';
import { acquireFileLock, type FileLock } from '../common/file-lock.js';
import { createDaemonLogger, type Logger } from '../common/log.js';
import { parseSafekeeperCommand, type ListenAddress, type SafekeeperConfig } from './config.js';
import { formatControlFileDump } from './control-file/control-file-dump.js';
import { readControlFile } from './control-file/control-file-store.js';
import { createHttpServer } from './http/server.js';
import { createMetrics } from './http/metrics.js';
import { establishIdentity } from './identity.js';
import { createWalService, type WalService } from './pg-wire/wal-service-listener.js';
import { startPeriodicPersist } from './timeline/periodic-persist.js';
import { TimelineRegistry } from './timeline/timeline-registry.js';

export const PID_FILE = 'safekeeper.pid';
export const LOCK_FILE = 'safekeeper.lock';
const DRAIN_TIMEOUT_MS = 5000;

function listen(server: Server, address: ListenAddress, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new AppError(
          'wrong-state',
          `could not listen on ${address.host}:${address.port} (${what}): ${error.code ?? error.message}`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    server.close(() => resolve());
  });
}

interface Running {
  readonly servers: readonly Server[];
  readonly walService: WalService;
  readonly timelines: TimelineRegistry;
  readonly stopLoops: () => Promise<void>;
  readonly lock: FileLock;
  readonly pidFile: string;
}

async function startServices(
  config: SafekeeperConfig,
  log: Logger,
): Promise<{ running: Running; nodeId: number }> {
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
    log: nodeLog,
    observerFor: (tenantId, timelineId) => metrics.observerFor(tenantId, timelineId),
    onDeleted: (tenantId, timelineId) => metrics.forgetTimeline(tenantId, timelineId),
  });
  const { loaded, broken } = await timelines.loadAll();
  nodeLog.info({ loaded, broken }, 'timelines loaded');
  metrics.watchTimelines(timelines);
  const http = createHttpServer({ nodeId, metrics, timelines, log: nodeLog });
  const walService = createWalService({ nodeId, registry: timelines, log: nodeLog });
  // HTTP comes last: /v1/status is the readiness probe, so an answer must mean that the WAL
  // port is bound and the pid file (which the control plane signals through) is written.
  await listen(walService.server, config.listenPg, 'WAL service');
  const pidFile = join(config.dataDir, PID_FILE);
  await writeFile(pidFile, `${process.pid}\n`);
  try {
    await listen(http, config.listenHttp, 'HTTP');
  } catch (error) {
    await rm(pidFile, { force: true });
    throw error;
  }
  const stopLoops = startPeriodicPersist(timelines, config.controlFileSaveIntervalMs, nodeLog);
  return {
    running: {
      servers: [http, walService.server],
      walService,
      timelines,
      stopLoops,
      lock,
      pidFile,
    },
    nodeId,
  };
}

async function shutDown(running: Running, log: Logger, reason: string): Promise<void> {
  log.info({ reason }, 'shutting down');
  const drained = Promise.all(running.servers.map(closeServer));
  // Walproposer connections never end by themselves: end them so that the port closes.
  running.walService.closeConnections();
  await Promise.race([
    drained,
    new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref()),
  ]);
  await running.stopLoops();
  await running.timelines.closeAll();
  await rm(running.pidFile, { force: true });
  await running.lock.release();
  log.info('stopped');
}

/**
 * Signal handling from the first moment: a SIGTERM/SIGINT that arrives while the daemon is still
 * starting (taking its lock, binding its ports) is remembered and acted on as soon as start-up
 * finishes, so every stop is a graceful one that releases the lock and removes the pid file.
 */
class ShutdownController {
  private requested: { reason: string; exitCode: number } | undefined;
  private running: { running: Running; log: Logger } | undefined;
  private stopping = false;

  install(log: Logger): void {
    process.on('SIGTERM', () => this.request('SIGTERM', 0));
    process.on('SIGINT', () => this.request('SIGINT', 0));
    process.on('SIGQUIT', () => {
      log.info('SIGQUIT: immediate shutdown');
      process.exit(0);
    });
  }

  request(reason: string, exitCode: number): void {
    this.requested ??= { reason, exitCode };
    this.maybeStop();
  }

  attach(running: Running, log: Logger): void {
    this.running = { running, log };
    this.maybeStop();
  }

  private maybeStop(): void {
    if (this.stopping || this.requested === undefined || this.running === undefined) return;
    this.stopping = true;
    const { reason, exitCode } = this.requested;
    void shutDown(this.running.running, this.running.log, reason).finally(() =>
      process.exit(exitCode),
    );
  }
}

function exitWithError(error: unknown, fallbackExitCode: number): never {
  process.stderr.write(
    `safekeeper: ${describeError(error)}\n${isAppError(error) ? error.hints.join('\n') : ''}\n`,
  );
  process.exit(isAppError(error) ? error.exitCode : fallbackExitCode);
}

/** `--dump-control-file PATH`: print the decoded state as one JSON line (exit 8 if corrupt). */
async function dumpControlFile(path: string): Promise<never> {
  try {
    const { state } = await readControlFile(path);
    process.stdout.write(`${formatControlFileDump(state)}\n`);
  } catch (error) {
    exitWithError(error, EXIT_CODES.internal);
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
    exitWithError(error, EXIT_CODES.usage);
  }
  const log = createDaemonLogger('safekeeper');
  const shutdown = new ShutdownController();
  shutdown.install(log);
  let started;
  try {
    started = await startServices(config, log);
  } catch (error) {
    log.error({ err: describeError(error) }, 'could not start safekeeper');
    process.exit(
      isAppError(error) && error.code === 'usage' ? EXIT_CODES.usage : EXIT_CODES.internal,
    );
  }
  const { running, nodeId } = started;
  const nodeLog = log.child({ node: nodeId });
  nodeLog.info(
    {
      dataDir: config.dataDir,
      listenPg: config.listenPg,
      listenHttp: config.listenHttp,
      broker: config.brokerEndpoints,
      remoteStorage: config.remoteStorage?.bucketName ?? null,
      noSync: config.noSync,
    },
    'safekeeper started',
  );
  // Supervision: a main service that fails after start-up takes the process down loudly.
  for (const server of running.servers) {
    server.on('error', (error) => {
      nodeLog.error({ err: describeError(error) }, 'a main service failed');
      shutdown.request('service failure', EXIT_CODES.internal);
    });
  }
  shutdown.attach(running, nodeLog);
}
