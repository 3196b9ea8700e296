// The servers WAL offload tests need, as real child processes on free loopback ports: Debian's
// etcd (fast election timing, data in a temp dir) and the embedded S3 server (bin/s3-server.js,
// one bucket), both killed when the test ends; the S3 server can be stopped and started again on
// the same port and directory. Plus an S3 client and a listing of one timeline's objects.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Who runs the cleanups: a test's context, or a benchmark's list of them. */
export type Cleanups = Pick<TestContext, 'after'>;
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { pollUntil } from '../../src/common/deadline.js';
import { findFreePort } from '../../src/cluster/process/ports.js';
import { EMBEDDED_S3_CREDENTIALS } from '../../src/cluster/storage-credentials.js';
import { createS3Client } from '../../src/remote-storage/s3-client.js';
import { PROJECT_ROOT } from './cli.js';
import { makeTempDir } from './temp-dir.js';
import { randomPortBelowEphemeral } from './ports.js';

export const ETCD_BINARY = '/usr/bin/etcd';
const READY_TIMEOUT_MS = 10_000;
export const TEST_BUCKET = 'wal-backup-test';

function randomPortBase(): number {
  return randomPortBelowEphemeral(100);
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // Costs ~40 ms per Node start and no child here needs TLS.
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function waitHttp(url: string, method: string, what: string): Promise<void> {
  const ready = await pollUntil(
    async () => {
      try {
        const response = await fetch(url, { method });
        await response.body?.cancel();
        return response.ok ? true : undefined;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: 20 },
  );
  if (ready !== true) throw new Error(`${what} did not get ready at ${url}`);
}

export interface TestEtcd {
  readonly endpoint: string;
  readonly child: ChildProcess;
}

export async function startTestEtcd(t: Cleanups): Promise<TestEtcd> {
  const dataDir = await makeTempDir(t, 'neon-local-etcd-');
  const clientPort = await findFreePort(randomPortBase(), new Set());
  const peerPort = await findFreePort(clientPort + 1, new Set([clientPort]));
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    ETCD_BINARY,
    [
      '--name',
      'test',
      '--data-dir',
      join(dataDir, 'etcd'),
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `test=${peer}`,
      '--initial-cluster-state',
      'new',
      '--log-level',
      'error',
      '--logger',
      'zap',
      '--heartbeat-interval=10',
      '--election-timeout=100',
      '--unsafe-no-fsync',
    ],
    { stdio: 'ignore' },
  );
  t.after(async () => {
    child.kill('SIGKILL');
    await exitOf(child);
  });
  await waitHttp(`${client}/health`, 'GET', 'etcd');
  return { endpoint: client, child };
}

export class TestS3Server {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  static async start(t: Cleanups): Promise<TestS3Server> {
    const port = await findFreePort(randomPortBase(), new Set());
    const server = new TestS3Server(port, await makeTempDir(t, 'neon-local-s3-'));
    t.after(() => server.stop());
    await server.resume();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on its port and directory; resolves once the bucket answers. */
  async resume(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        join(PROJECT_ROOT, 'bin', 's3-server.js'),
        '--address',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--directory',
        this.dataDir,
        '--bucket',
        TEST_BUCKET,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() },
    );
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.child = child;
    await waitHttp(`${this.endpoint}/${TEST_BUCKET}`, 'HEAD', 'the embedded S3 server');
  }

  /** Kills the server and waits for its exit (the port is free afterwards). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    child.kill('SIGKILL');
    await exitOf(child);
  }

  /** The request lines it logged (method, path, status). */
  get requestLog(): string {
    return this.log;
  }

  /** The remote-storage flag value for a safekeeper. */
  remoteStorageFlag(prefixInBucket: string, bucket = TEST_BUCKET): string {
    return `{bucket_name = "${bucket}", bucket_region = "us-east-1", endpoint = "${this.endpoint}", prefix_in_bucket = "${prefixInBucket}"}`;
  }

  async client(t: Cleanups): Promise<S3Client> {
    const client = await createS3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      credentials: EMBEDDED_S3_CREDENTIALS,
    });
    t.after(() => client.destroy());
    return client;
  }
}

/** Objects under `prefix`: key -> size. */
export async function listObjects(
  s3: S3Client,
  prefix: string,
  bucket = TEST_BUCKET,
): Promise<Map<string, number>> {
  const objects = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) objects.set(object.Key ?? '', object.Size ?? 0);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return objects;
}

/** The credentials the embedded S3 server accepts, for safekeeper children (they inherit env). */
export function useEmbeddedS3Credentials(): void {
  process.env.AWS_ACCESS_KEY_ID = EMBEDDED_S3_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = EMBEDDED_S3_CREDENTIALS.secretAccessKey;
}

export async function getObject(s3: S3Client, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: TEST_BUCKET, Key: key }));
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
}
