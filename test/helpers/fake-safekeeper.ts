// A misbehaving safekeeper for pageserver tests: an admin API that answers GET /v1/timelines
// with whatever the test gives (valid entries, nonsense, errors), and a WAL service that
// accepts any startup, answers START_REPLICATION with CopyBoth and then sends the XLogData the
// test chose (e.g. WAL that does not decode). Both are closed when the test ends.
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { Lsn } from '../../src/postgres/lsn.js';
import {
  encodeAuthenticationOk,
  encodeCopyBothResponse,
  encodeReadyForQuery,
} from '../../src/postgres/wire/backend-messages.js';
import { encodeCopyData } from '../../src/postgres/wire/copy-messages.js';
import {
  encodeXLogData,
  postgresEpochMicrosNow,
} from '../../src/postgres/wire/replication-messages.js';

export interface FakeSafekeeper {
  readonly pgPort: number;
  readonly httpPort: number;
  /** The START_REPLICATION commands received, in order. */
  readonly commands: string[];
}

export interface FakeSafekeeperOptions {
  /** The status code and body of every GET /v1/timelines. */
  readonly timelines: () => { status: number; body: string };
  /** What to stream after CopyBothResponse: WAL chunks at their LSNs, and the wal_end sent. */
  readonly stream: readonly { lsn: Lsn; bytes: Buffer }[];
  readonly walEndLsn: Lsn;
}

const INT32_BYTES = 4;

/** Answers the startup message, then START_REPLICATION, on one connection. */
function serveConnection(socket: Socket, options: FakeSafekeeperOptions, commands: string[]): void {
  let buffered = Buffer.alloc(0);
  let isStarted = false;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (!isStarted) {
        if (buffered.length < INT32_BYTES) return;
        const length = buffered.readInt32BE(0);
        if (buffered.length < length) return;
        buffered = buffered.subarray(length);
        isStarted = true;
        socket.write(Buffer.concat([encodeAuthenticationOk(), encodeReadyForQuery('I')]));
        continue;
      }
      if (buffered.length < 1 + INT32_BYTES) return;
      const type = String.fromCharCode(buffered[0]!);
      const length = buffered.readInt32BE(1);
      if (buffered.length < 1 + length) return;
      const body = buffered.subarray(1 + INT32_BYTES, 1 + length);
      buffered = buffered.subarray(1 + length);
      if (type !== 'Q') continue; // feedback CopyData and the like are ignored
      commands.push(body.toString('utf8').replace(/\0$/, ''));
      socket.write(encodeCopyBothResponse());
      for (const { lsn, bytes } of options.stream) {
        socket.write(
          encodeCopyData(
            encodeXLogData({
              walStartLsn: lsn,
              walEndLsn: options.walEndLsn,
              sendTimeMicros: postgresEpochMicrosNow(),
              bytes,
            }),
          ),
        );
      }
    }
  });
}

export async function startFakeSafekeeper(
  t: TestContext,
  options: FakeSafekeeperOptions,
): Promise<FakeSafekeeper> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const wal: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, options, commands);
  });
  const http: HttpServer = createHttpServer((req, res) => {
    if (req.url !== '/v1/timelines') {
      res.writeHead(404).end();
      return;
    }
    const answer = options.timelines();
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  wal.listen(0, '127.0.0.1');
  http.listen(0, '127.0.0.1');
  await Promise.all([once(wal, 'listening'), once(http, 'listening')]);
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    http.closeAllConnections();
    await Promise.all([
      new Promise((resolve) => wal.close(resolve)),
      new Promise((resolve) => http.close(resolve)),
    ]);
  });
  const portOf = (server: Server | HttpServer): number => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  };
  return { pgPort: portOf(wal), httpPort: portOf(http), commands };
}
