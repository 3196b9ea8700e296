// The pageserver daemon's entry: parse argv, take the data dir lock, load the timelines, bind
// the HTTP port, write the pid file, then run its services as supervised tasks of the daemon
// shell: discovery, the periodic checkpoint, HTTP, and one receive loop per timeline. A task
// that fails takes the process down with exit 1; SIGTERM and SIGINT drain and exit 0.
import { writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
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
import {
  createLazyObjectStore,
  credentialsFromEnv,
  type ObjectStore,
} from './checkpoint/object-store.js';
import { runPeriodicCheckpoints } from './checkpoint/periodic-checkpoint.js';
import { parsePageserverArgs, type PageserverConfig } from './config.js';
import { SafekeeperDiscovery } from './discovery/safekeeper-discovery.js';
import { createMetrics } from './http/metrics.js';
import { createHttpServer, pageserverStatusDocument } from './http/server.js';
import { DRAIN_TIMEOUT_MS } from './limits.js';
import { TimelineRegistry } from './timeline/timeline-registry.js';

export const PID_FILE = 'pageserver.pid';
export const LOCK_FILE = 'pageserver.lock';

async function startServices(
  config: PageserverConfig,
  log: Logger,
  supervisor: TaskSupervisor,
): Promise<StartedDaemon> {
  await mkdir(config.dataDir, { recursive: true });
  const lock = await acquireFileLock(join(config.dataDir, LOCK_FILE), {
    waitMs: 0,
    what: `pageserver data dir ${config.dataDir}`,
  });
  const metrics = createMetrics();
  const store: ObjectStore | undefined =
    config.remoteStorage === undefined
      ? undefined
      : createLazyObjectStore(config.remoteStorage, credentialsFromEnv(process.env));
  const timelines = new TimelineRegistry({
    dataDir: config.dataDir,
    deps: { noSync: config.noSync, endpoints: config.safekeepers, store, log },
    observerFor: (tenantId, timelineId) => metrics.observerFor(tenantId, timelineId),
    startTask: (name, body) => supervisor.start(name, body),
    log,
  });
  const { loaded, broken } = await timelines.loadAll();
  log.info({ loaded, broken }, 'timelines loaded');
  metrics.watchTimelines(() => timelines.list());
  const discovery = new SafekeeperDiscovery({
    endpoints: config.safekeepers,
    registry: timelines,
    intervalMs: config.discoveryIntervalMs,
    log,
  });
  const http = createHttpServer({
    timelines,
    metrics,
    wakeDiscovery: () => discovery.wakeUp(),
    log,
  });
  const pidFile = join(config.dataDir, PID_FILE);
  await listen(http, config.listenHttp, 'HTTP');
  // Written before the event loop turns again: no request is answered before the pid file exists.
  writeFileSync(pidFile, `${process.pid}\n`);
  supervisor.start('http', (signal) => serveUntilAborted(http, signal));
  supervisor.start('discovery', (signal) => discovery.run(signal));
  if (store !== undefined)
    supervisor.start('checkpoint', (signal) =>
      runPeriodicCheckpoints(timelines, config.checkpointIntervalMs, log, signal),
    );
  log.info(
    {
      dataDir: config.dataDir,
      listenHttp: config.listenHttp,
      safekeepers: config.safekeepers.map((endpoint) => endpoint.id),
      remoteStorage: config.remoteStorage?.bucketName ?? null,
      checkpointIntervalMs: config.checkpointIntervalMs,
      discoveryIntervalMs: config.discoveryIntervalMs,
      noSync: config.noSync,
    },
    'pageserver started',
  );
  // What GET /v1/status would answer now (common/ready-notice.ts).
  sendReadyNotice(pageserverStatusDocument(timelines));
  return {
    log,
    cleanup: async () => {
      await timelines.closeAll();
      store?.destroy();
      await rm(pidFile, { force: true });
      await lock.release();
    },
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  let config: PageserverConfig;
  try {
    config = parsePageserverArgs(argv);
  } catch (error) {
    exitWithError('pageserver', error, EXIT_CODES.usage);
  }
  makeCreatedFilesPrivate();
  const log = createDaemonLogger('pageserver');
  await runDaemon({
    name: 'pageserver',
    log,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
    start: (supervisor) => startServices(config, log, supervisor),
  });
}
