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
import { parseSafekeeperArgs, type ListenAddress, type SafekeeperConfig } from './config.js';
import { createHttpServer } from './http/server.js';
import { createMetrics } from './http/metrics.js';
import { establishIdentity } from './identity.js';
import { createWalServiceListener } from './pg-wire/wal-service-listener.js';

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
  const http = createHttpServer({ nodeId, metrics, log: nodeLog });
  const walService = createWalServiceListener(nodeLog);
  await listen(http, config.listenHttp, 'HTTP');
  await listen(walService, config.listenPg, 'WAL service');
  const pidFile = join(config.dataDir, PID_FILE);
  await writeFile(pidFile, `${process.pid}\n`);
  return { running: { servers: [http, walService], lock, pidFile }, nodeId };
}

async function shutDown(running: Running, log: Logger, reason: string): Promise<void> {
  log.info({ reason }, 'shutting down');
  const drained = Promise.all(running.servers.map(closeServer));
  await Promise.race([
    drained,
    new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref()),
  ]);
  await rm(running.pidFile, { force: true });
  await running.lock.release();
  log.info('stopped');
}

export async function main(argv: readonly string[]): Promise<void> {
  const log = createDaemonLogger('safekeeper');
  let config: SafekeeperConfig;
  try {
    config = parseSafekeeperArgs(argv);
  } catch (error) {
    process.stderr.write(
      `safekeeper: ${describeError(error)}\n${isAppError(error) ? error.hints.join('\n') : ''}\n`,
    );
    process.exit(EXIT_CODES.usage);
  }
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
  let stopping = false;
  const stop = (reason: string, exitCode: number): void => {
    if (stopping) return;
    stopping = true;
    void shutDown(running, nodeLog, reason).finally(() => process.exit(exitCode));
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('SIGQUIT', () => {
    nodeLog.info('SIGQUIT: immediate shutdown');
    process.exit(0);
  });
  // Supervision: a main service that fails after start-up takes the process down loudly.
  for (const server of running.servers) {
    server.on('error', (error) => {
      nodeLog.error({ err: describeError(error) }, 'a main service failed');
      stop('service failure', EXIT_CODES.internal);
    });
  }
}
