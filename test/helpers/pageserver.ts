// The pageserver daemon as a real child process for tests: started on a free loopback port
// against a test cluster's safekeepers (and its embedded S3 server when asked), its output
// captured, killed when the test ends; plus polling of its timeline documents.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { EMBEDDED_S3_CREDENTIALS } from '../../src/cluster/storage-credentials.js';
import { findFreePort } from '../../src/cluster/process/ports.js';
import type { LocalCluster } from '../../src/index.js';
import type { PageserverTimelineDocument } from '../../src/protocol/pageserver-status.js';
import { PROJECT_ROOT } from './cli.js';
import { waitStatus } from './safekeeper.js';
import { randomPortBelowEphemeral } from './ports.js';

export const PAGESERVER = join(PROJECT_ROOT, 'bin', 'pageserver.js');
const WAIT_TIMEOUT_MS = 60_000;

export interface RunningPageserver {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

export interface PageserverArgs {
  readonly dataDir: string;
  readonly httpPort: number;
  readonly args: readonly string[];
}

/** The flags for a pageserver streaming from `cluster`'s safekeepers. */
export async function pageserverArgs(
  cluster: LocalCluster,
  dataDir: string,
  options: { remoteStorage: boolean; extra?: readonly string[] },
): Promise<PageserverArgs> {
  const config = await cluster.loadConfig();
  const httpPort = await findFreePort(randomPortBelowEphemeral(100), new Set());
  const safekeepers = config.safekeepers
    .map((sk) => `${sk.id}=127.0.0.1:${sk.pgPort}=http://127.0.0.1:${sk.httpPort}`)
    .join(',');
  const storage = `{bucket_name = "${config.remoteStorage.bucket}", bucket_region = "us-east-1", endpoint = "http://127.0.0.1:${config.remoteStorage.port}"}`;
  return {
    dataDir,
    httpPort,
    args: [
      '-D',
      dataDir,
      '--listen-http',
      `127.0.0.1:${httpPort}`,
      '--safekeepers',
      safekeepers,
      '--discovery-interval',
      '200ms',
      '--no-sync',
      ...(options.remoteStorage ? ['--remote-storage', storage] : []),
      ...(options.extra ?? []),
    ],
  };
}

/** Starts the pageserver (SIGKILLed when the test ends) and waits until /v1/status answers. */
export async function startPageserver(
  t: TestContext,
  spec: PageserverArgs,
): Promise<RunningPageserver> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: EMBEDDED_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMBEDDED_S3_CREDENTIALS.secretAccessKey,
  };
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, [PAGESERVER, ...spec.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.after(() => child.kill('SIGKILL'));
  const status = (await waitStatus(spec.httpPort)) as { id?: string } | undefined;
  assert.equal(status?.id, 'pageserver', `the pageserver did not answer:\n${output}`);
  return { child, url: `http://127.0.0.1:${spec.httpPort}`, output: () => output, exited };
}

/** Stops the pageserver with `signal` and waits for it to exit. */
export async function stopPageserver(
  pageserver: RunningPageserver,
  signal: NodeJS.Signals,
): Promise<number | null> {
  pageserver.child.kill(signal);
  return pageserver.exited;
}

export async function timelineDocument(
  pageserver: RunningPageserver,
  ref: string,
): Promise<PageserverTimelineDocument | undefined> {
  const [tenant, timeline] = ref.split('/');
  const response = await fetch(`${pageserver.url}/v1/tenant/${tenant}/timeline/${timeline}`);
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as PageserverTimelineDocument;
}

/** Polls the timeline document until `isWanted` holds; fails with the last one seen. */
export async function waitForTimeline(
  pageserver: RunningPageserver,
  ref: string,
  isWanted: (document: PageserverTimelineDocument) => boolean,
  what: string,
): Promise<PageserverTimelineDocument> {
  let last: PageserverTimelineDocument | undefined;
  const found = await pollUntil(
    async () => {
      last = await timelineDocument(pageserver, ref);
      return last !== undefined && isWanted(last) ? last : undefined;
    },
    { timeoutMs: WAIT_TIMEOUT_MS, intervalMs: 50 },
  );
  assert.ok(
    found,
    `${what}: last seen ${JSON.stringify(last)}\n${pageserver.output().slice(-3000)}`,
  );
  return found;
}

/** Lines the pageserver logged at level error. */
export function errorLines(pageserver: RunningPageserver): string[] {
  return pageserver
    .output()
    .split('\n')
    .filter((line) => line.includes('"level":"error"'));
}
