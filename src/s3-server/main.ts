// The embedded S3-compatible server (s3rver 3.7.1, patched: see patches/) in its own process,
// for clusters without MinIO. Creates the bucket before it listens, so an answered
// `HEAD /<bucket>` means ready; the readiness notice (common/ready-notice.ts) lists the buckets.
// SIGTERM/SIGINT close it and exit 0.
import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { describeError, EXIT_CODES } from '../common/errors.js';
import type { S3ServerReadyNotice } from '../common/ready-notice.js';
import { makeCreatedFilesPrivate } from '../daemon-shell/daemon-runner.js';
import { sendReadyNotice } from '../daemon-shell/ready-notice.js';

const USAGE = 'usage: s3-server --address HOST --port PORT --directory DIR --bucket NAME';

function fail(message: string, exitCode: number): never {
  process.stderr.write(`s3-server: ${message}\n`);
  process.exit(exitCode);
}

/** One plain line per request: method, path, status, duration. */
function logRequests(httpServer: Server): void {
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const begunAt = process.hrtime.bigint();
    res.once('finish', () => {
      const elapsedMs = Number(process.hrtime.bigint() - begunAt) / 1e6;
      process.stdout.write(
        `${new Date().toISOString()} ${req.method ?? '?'} ${req.url ?? ''} ${res.statusCode} ${elapsedMs.toFixed(1)}ms\n`,
      );
    });
  });
}

export async function main(argv: readonly string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        address: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string' },
        directory: { type: 'string' },
        bucket: { type: 'string', multiple: true, default: [] },
      },
    }));
  } catch (error) {
    fail(`${describeError(error)}\n${USAGE}`, EXIT_CODES.usage);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    fail(`invalid --port "${values.port ?? ''}"\n${USAGE}`, EXIT_CODES.usage);
  if (values.directory === undefined) fail(`missing --directory\n${USAGE}`, EXIT_CODES.usage);
  makeCreatedFilesPrivate();
  await mkdir(values.directory, { recursive: true });
  const { default: S3rver } = await import('s3rver');
  const server = new S3rver({
    address: values.address,
    port,
    directory: values.directory,
    // s3rver's own logger writes ANSI colours; requests are logged below instead.
    silent: true,
    vhostBuckets: false,
    configureBuckets: values.bucket.map((name) => ({ name })),
  });
  try {
    const bound = await server.run();
    logRequests(server.httpServer);
    process.stdout.write(
      `s3-server: listening on ${bound.address}:${bound.port}, data in ${values.directory}, buckets: ${values.bucket.join(', ')}\n`,
    );
    sendReadyNotice({
      address: bound.address,
      port: bound.port,
      buckets: values.bucket,
    } satisfies S3ServerReadyNotice);
  } catch (error) {
    fail(
      `could not listen on ${values.address}:${port}: ${describeError(error)}`,
      EXIT_CODES.internal,
    );
  }
  const stop = (signal: string): void => {
    process.stdout.write(`s3-server: ${signal}: shutting down\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(EXIT_CODES.internal),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
