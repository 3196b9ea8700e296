// The wire client against a tiny scripted server built from the wire encoders on an ephemeral
// loopback port: startup, server errors, simple queries, COPY BOTH both ways, refused and silent
// servers, and the connection ending mid-copy. Every socket and server is closed by the test.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import {
  encodeAuthenticationOk,
  encodeBackendKeyData,
  encodeCommandComplete,
  encodeCopyBothResponse,
  encodeCopyData,
  encodeCopyDone,
  encodeDataRow,
  encodeNoticeResponse,
  encodeParameterStatus,
  encodeReadyForQuery,
  encodeRowDescription,
} from '../../../src/postgres/wire/backend-messages.js';
import { encodeErrorResponse } from '../../../src/postgres/wire/error-response.js';
import {
  FrameReader,
  STARTUP_CODES,
  type WireFrame,
} from '../../../src/postgres/wire/frame-reader.js';
import { decodeQuery } from '../../../src/postgres/wire/frontend-messages.js';
import { TYPE_OIDS } from '../../../src/postgres/wire/pg-types.js';
import { parseStartupParameters } from '../../../src/postgres/wire/startup-parameters.js';
import {
  WireClient,
  WireServerError,
  type WireClientOptions,
} from '../../../src/postgres/wire/wire-client.js';
import { findEphemeralPort } from '../../helpers/postgres.js';

const TEST_TIMEOUT_MS = 10_000;
const FRAME_WAIT_MS = 5_000;
const LIMITS = { maxStartupBytes: 10_000, maxMessageBytes: 1_048_576 };

/** One accepted connection of the scripted server. */
class ServerConnection {
  readonly socket: Socket;
  readonly #reader = new FrameReader(LIMITS, 'startup');
  readonly #changes = new EventEmitter();
  #hasEnded = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#reader.push(chunk);
      this.#changes.emit('change');
    });
    socket.on('close', () => {
      this.#hasEnded = true;
      this.#changes.emit('change');
    });
    socket.on('error', () => undefined);
  }

  /** The next frame from the client; rejects if none comes within FRAME_WAIT_MS. */
  nextFrame(): Promise<WireFrame> {
    return new Promise((resolve, reject) => {
      const settle = (error: Error | undefined, frame?: WireFrame): void => {
        clearTimeout(timer);
        this.#changes.off('change', attempt);
        if (frame !== undefined) resolve(frame);
        else reject(error ?? new Error('no frame'));
      };
      const attempt = (): void => {
        try {
          const frame = this.#reader.next();
          if (frame !== undefined) settle(undefined, frame);
          else if (this.#hasEnded) settle(new Error('the client ended the connection'));
        } catch (error) {
          settle(error as Error);
        }
      };
      const timer = setTimeout(() => settle(new Error('no frame within the wait')), FRAME_WAIT_MS);
      this.#changes.on('change', attempt);
      attempt();
    });
  }

  async nextQuery(): Promise<string> {
    const frame = await this.nextFrame();
    assert.ok(
      frame.kind === 'message' && frame.type === 'Q',
      `a Query, not ${JSON.stringify(frame)}`,
    );
    return decodeQuery(frame.body);
  }

  /** Reads the StartupMessage and answers as a trusting server; returns its parameters. */
  async acceptStartup(): Promise<Map<string, string>> {
    const startup = await this.nextFrame();
    assert.ok(startup.kind === 'startup' && startup.code === STARTUP_CODES.protocolV3);
    this.#reader.setPhase('messages');
    this.send(
      encodeAuthenticationOk(),
      encodeParameterStatus('server_version', '15.0'),
      encodeBackendKeyData(7, 8),
      encodeReadyForQuery('I'),
    );
    return parseStartupParameters(startup.body);
  }

  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }
}

interface TestServer {
  readonly port: number;
  /** Resolves when every connection script finished; rejects with the first failure. */
  finished(): Promise<void>;
}

/** A loopback server running `script` for each connection; closed with everything when `t` ends. */
async function startServer(
  t: TestContext,
  script: (connection: ServerConnection) => Promise<void>,
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const scripts: Promise<void>[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    const run = script(new ServerConnection(socket));
    run.catch(() => undefined);
    scripts.push(run);
  });
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return {
    port: address.port,
    finished: async () => {
      await Promise.all(scripts);
    },
  };
}

async function connectTo(
  t: TestContext,
  port: number,
  overrides: Partial<WireClientOptions> = {},
): Promise<WireClient> {
  const client = await WireClient.connect({
    host: '127.0.0.1',
    port,
    parameters: { user: 'sk' },
    connectTimeoutMs: FRAME_WAIT_MS,
    ...overrides,
  });
  t.after(() => client.destroy());
  return client;
}

function closedPromise(client: WireClient): Promise<Error | undefined> {
  return new Promise((resolve) => client.onClose(resolve));
}

function isAppErrorWith(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `an AppError, not ${String(error)}`);
    assert.match(error.message, pattern);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

test(
  'connect completes the startup exchange and close() sends Terminate',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    let seenParameters: Map<string, string> | undefined;
    const server = await startServer(t, async (connection) => {
      seenParameters = await connection.acceptStartup();
      const terminate = await connection.nextFrame();
      assert.ok(terminate.kind === 'message' && terminate.type === 'X', 'Terminate');
      connection.socket.end();
    });
    const client = await connectTo(t, server.port, {
      parameters: { user: 'sk', options: '-c timeline_id=abc' },
    });
    assert.equal(client.serverParameters.get('server_version'), '15.0');
    assert.deepEqual(client.backendKey, { processId: 7, secretKey: 8 });
    assert.equal(client.isClosed, false);
    const closed = closedPromise(client);
    client.close();
    client.close();
    assert.equal(client.isClosed, true);
    assert.equal(await closed, undefined, 'a clean end');
    await server.finished();
    assert.equal(seenParameters?.get('timeline_id'), 'abc');
    assert.equal(seenParameters.get('user'), 'sk');
    assert.equal(await closedPromise(client), undefined, 'a late listener hears the same');
    await assert.rejects(client.simpleQuery('SELECT 1'), isAppErrorWith('wrong-state', /closed/));
  },
);

test(
  'an ErrorResponse during startup rejects connect with WireServerError',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const server = await startServer(t, async (connection) => {
      await connection.nextFrame();
      connection.socket.end(encodeErrorResponse('FATAL', '3D000', 'tenant x is not known here'));
    });
    await assert.rejects(
      WireClient.connect({
        host: '127.0.0.1',
        port: server.port,
        parameters: {},
        connectTimeoutMs: FRAME_WAIT_MS,
      }),
      (error: unknown) => {
        assert.ok(error instanceof WireServerError, String(error));
        assert.equal(error.sqlState, '3D000');
        assert.equal(error.severity, 'FATAL');
        assert.match(
          error.message,
          /^server 127\.0\.0\.1:\d+ replied FATAL 3D000: tenant x is not known here$/,
        );
        return true;
      },
    );
    await server.finished();
  },
);

test(
  'connect needs AuthenticationOk before ReadyForQuery',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const md5Request = Buffer.from([0x52, 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4]);
    const table: [string, Buffer, string, RegExp][] = [
      [
        'MD5',
        md5Request,
        'usage',
        /asks for authentication method 5; this client supports only trust/,
      ],
      [
        'no authentication',
        encodeReadyForQuery('I'),
        'internal',
        /protocol violation by .*: unexpected message 'Z' during the startup exchange before Authent/,
      ],
    ];
    for (const [name, reply, code, pattern] of table) {
      const server = await startServer(t, async (connection) => {
        await connection.nextFrame();
        connection.send(reply);
      });
      await assert.rejects(connectTo(t, server.port), isAppErrorWith(code, pattern), name);
      await server.finished();
    }
  },
);

test(
  'simpleQuery returns rows; an ErrorResponse rejects and leaves the connection usable',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const server = await startServer(t, async (connection) => {
      await connection.acceptStartup();
      assert.equal(await connection.nextQuery(), 'IDENTIFY_SYSTEM');
      connection.send(
        encodeRowDescription([
          { name: 'systemid', typeOid: TYPE_OIDS.text },
          { name: 'timeline', typeOid: TYPE_OIDS.int4 },
          { name: 'xlogpos', typeOid: TYPE_OIDS.text },
          { name: 'dbname', typeOid: TYPE_OIDS.text },
        ]),
        encodeDataRow(['7012345', '1', '0/16B9188', null]),
        encodeCommandComplete('IDENTIFY_SYSTEM'),
        encodeReadyForQuery('I'),
      );
      assert.equal(await connection.nextQuery(), 'SELEKT');
      connection.send(
        encodeErrorResponse('ERROR', '42601', 'syntax error at or near "SELEKT"'),
        encodeReadyForQuery('I'),
      );
      assert.equal(await connection.nextQuery(), 'SHOW x');
      connection.send(
        encodeNoticeResponse('NOTICE', '00000', 'just so you know'),
        encodeParameterStatus('x', 'changed'),
        encodeRowDescription([{ name: 'x', typeOid: TYPE_OIDS.text }]),
        encodeDataRow(['ü']),
        encodeDataRow(['']),
        encodeCommandComplete('SHOW'),
        encodeReadyForQuery('I'),
      );
      assert.equal(await connection.nextQuery(), 'SELECT 1');
      connection.send(encodeCommandComplete('SELECT 0'), encodeReadyForQuery('I'));
    });
    const client = await connectTo(t, server.port);
    assert.deepEqual(await client.simpleQuery('IDENTIFY_SYSTEM'), {
      columns: [
        { name: 'systemid', typeOid: 25 },
        { name: 'timeline', typeOid: 23 },
        { name: 'xlogpos', typeOid: 25 },
        { name: 'dbname', typeOid: 25 },
      ],
      rows: [['7012345', '1', '0/16B9188', null]],
      commandTag: 'IDENTIFY_SYSTEM',
    });
    await assert.rejects(client.simpleQuery('SELEKT'), (error: unknown) => {
      assert.ok(error instanceof WireServerError, String(error));
      assert.equal(error.sqlState, '42601');
      assert.equal(error.code, 'usage');
      return true;
    });
    const pending = client.simpleQuery('SHOW x');
    await assert.rejects(
      client.simpleQuery('SELECT 2'),
      isAppErrorWith('wrong-state', /a simple query is in progress/),
    );
    assert.deepEqual(await pending, {
      columns: [{ name: 'x', typeOid: 25 }],
      rows: [['ü'], ['']],
      commandTag: 'SHOW',
    });
    assert.equal(client.serverParameters.get('x'), 'changed');
    assert.throws(
      () => client.sendCopyData(Buffer.from('x')),
      isAppErrorWith('wrong-state', /not in COPY BOTH/),
    );
    assert.deepEqual(await client.simpleQuery('SELECT 1'), {
      columns: [],
      rows: [],
      commandTag: 'SELECT 0',
    });
    await server.finished();
  },
);

test(
  'COPY BOTH carries CopyData both ways, then the connection is idle again',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const received: string[] = [];
    const server = await startServer(t, async (connection) => {
      await connection.acceptStartup();
      assert.equal(await connection.nextQuery(), 'START_WAL_PUSH');
      connection.send(
        encodeCopyBothResponse(),
        encodeCopyData(Buffer.from('one')),
        encodeCopyData(Buffer.from('two')),
      );
      for (let index = 0; index < 2; index++) {
        const frame = await connection.nextFrame();
        assert.ok(frame.kind === 'message' && frame.type === 'd', 'CopyData');
        received.push(frame.body.toString());
      }
      connection.send(
        encodeCopyData(Buffer.from('three')),
        encodeCopyDone(),
        encodeCommandComplete('COPY 0'),
        encodeReadyForQuery('I'),
      );
      assert.equal(await connection.nextQuery(), 'SELECT 1');
      connection.send(encodeCommandComplete('SELECT 1'), encodeReadyForQuery('I'));
    });
    const client = await connectTo(t, server.port);
    await client.startCopyBoth('START_WAL_PUSH');
    const payloads: string[] = [];
    const gotThree = new Promise<void>((resolve) => {
      client.onCopyData((payload) => {
        payloads.push(payload.toString());
        if (payloads.length === 3) resolve();
      });
    });
    assert.equal(client.sendCopyData(Buffer.from('a')), true);
    assert.equal(client.sendCopyData(Buffer.from('b')), true);
    await client.waitForDrain();
    await assert.rejects(
      client.simpleQuery('SELECT 2'),
      isAppErrorWith('wrong-state', /COPY BOTH is in progress/),
    );
    await gotThree;
    assert.deepEqual(
      payloads,
      ['one', 'two', 'three'],
      'frames sent before the listener existed were kept',
    );
    assert.equal((await client.simpleQuery('SELECT 1')).commandTag, 'SELECT 1');
    await server.finished();
    assert.deepEqual(received, ['a', 'b']);
  },
);

test(
  'with reusesReadBuffers, CopyData of every size arrives intact through the shared read buffer',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    // Sizes around the 1 MiB shared buffer and below one read, so that frames lie within one
    // read, span two reads and wait in the carry; each frame's bytes name it.
    const sizes = [5, 200_000, 1_000_000, 17, 700_000, 1_048_000, 64 * 1024, 3];
    const payloadOf = (index: number): Buffer => Buffer.alloc(sizes[index]!, index + 1);
    const server = await startServer(t, async (connection) => {
      await connection.acceptStartup();
      assert.equal(await connection.nextQuery(), 'START_REPLICATION');
      connection.send(encodeCopyBothResponse());
      for (let round = 0; round < 3; round++)
        connection.send(...sizes.map((_, index) => encodeCopyData(payloadOf(index))));
      const frame = await connection.nextFrame();
      assert.ok(frame.kind === 'message' && frame.type === 'X', 'the client terminates');
    });
    const client = await connectTo(t, server.port, { reusesReadBuffers: true });
    await client.startCopyBoth('START_REPLICATION');
    let mismatches = 0;
    let count = 0;
    const done = new Promise<void>((resolve) => {
      client.onCopyData((payload) => {
        // Valid during the call only: checked here, as a consumer copies what it keeps.
        if (!payload.equals(payloadOf(count % sizes.length))) mismatches++;
        count++;
        if (count === 3 * sizes.length) resolve();
      });
    });
    await done;
    assert.equal(mismatches, 0);
    client.close();
    await server.finished();
  },
);

test(
  'a query that does not start COPY BOTH rejects startCopyBoth after ReadyForQuery',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const server = await startServer(t, async (connection) => {
      await connection.acceptStartup();
      await connection.nextQuery();
      connection.send(encodeCommandComplete('SELECT 0'), encodeReadyForQuery('I'));
      await connection.nextQuery();
      connection.send(
        encodeErrorResponse('ERROR', '0A000', 'no such command'),
        encodeReadyForQuery('I'),
      );
    });
    const client = await connectTo(t, server.port);
    await assert.rejects(
      client.startCopyBoth('SELECT 1'),
      isAppErrorWith('wrong-state', /did not start COPY BOTH: the server answered 'C'/),
    );
    await assert.rejects(
      client.startCopyBoth('START_NOTHING'),
      (error: unknown) => error instanceof WireServerError && error.sqlState === '0A000',
    );
    await server.finished();
  },
);

test(
  'a refused connection is unavailable and names the address',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const port = await findEphemeralPort();
    await assert.rejects(
      connectTo(t, port),
      isAppErrorWith(
        'unavailable',
        new RegExp(`^could not connect to 127\\.0\\.0\\.1:${port}: connection refused`),
      ),
    );
    await assert.rejects(
      connectTo(t, port, { maxMessageBytes: 4 }),
      isAppErrorWith('usage', /^invalid message limit 4 bytes: at least 8$/),
    );
  },
);

test(
  'a server that never answers times connect out; close() ends a pending query',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const silent = await startServer(t, async () => {});
    await assert.rejects(
      connectTo(t, silent.port, { connectTimeoutMs: 200 }),
      isAppErrorWith(
        'timed-out',
        /^could not connect to 127\.0\.0\.1:\d+: no ReadyForQuery within 200 ms$/,
      ),
    );
    const server = await startServer(t, async (connection) => {
      await connection.acceptStartup();
      await connection.nextQuery();
    });
    const client = await connectTo(t, server.port);
    const pending = client.simpleQuery('SELECT pg_sleep(1000)');
    client.close();
    await assert.rejects(pending, isAppErrorWith('unavailable', /closed by the client/));
    await server.finished();
  },
);

test(
  'the server ending the connection mid-copy reaches onClose as an error',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const script =
      (ending: (connection: ServerConnection) => void) => async (connection: ServerConnection) => {
        await connection.acceptStartup();
        await connection.nextQuery();
        connection.send(encodeCopyBothResponse(), encodeCopyData(Buffer.from('wal')));
        await connection.nextFrame();
        ending(connection);
      };
    const cases: [
      string,
      (connection: ServerConnection) => void,
      (error: Error | undefined) => void,
    ][] = [
      [
        'end',
        (connection) => connection.socket.end(),
        (error) => isAppErrorWith('unavailable', /closed by the server during COPY BOTH$/)(error),
      ],
      [
        'reset',
        (connection) => connection.socket.resetAndDestroy(),
        (error) =>
          isAppErrorWith(
            'unavailable',
            /^connection to 127\.0\.0\.1:\d+ failed: .*ECONNRESET/,
          )(error),
      ],
      [
        'FATAL',
        (connection) =>
          connection.socket.end(
            encodeErrorResponse(
              'FATAL',
              '57P01',
              'terminating connection due to administrator command',
            ),
          ),
        (error) => {
          assert.ok(error instanceof WireServerError, String(error));
          assert.equal(error.code, 'unavailable');
          assert.equal(error.sqlState, '57P01');
        },
      ],
    ];
    for (const [name, ending, check] of cases) {
      const server = await startServer(t, script(ending));
      const client = await connectTo(t, server.port);
      const closed = closedPromise(client);
      const payloads: string[] = [];
      client.onCopyData((payload) => payloads.push(payload.toString()));
      await client.startCopyBoth('START_REPLICATION 0/0');
      client.sendCopyData(Buffer.from('ack'));
      const error = await closed;
      check(error);
      assert.deepEqual(payloads, ['wal'], name);
      assert.equal(client.isClosed, true, name);
      assert.throws(
        () => client.sendCopyData(Buffer.from('late')),
        isAppErrorWith('wrong-state', /closed/),
        name,
      );
      await assert.rejects(client.waitForDrain(), isAppErrorWith('wrong-state', /closed/), name);
      await server.finished();
    }
  },
);

test(
  'a malformed frame from the server is a protocol violation that ends the connection',
  { timeout: TEST_TIMEOUT_MS },
  async (t) => {
    const server = await startServer(t, async (connection) => {
      await connection.acceptStartup();
      await connection.nextQuery();
      connection.send(Buffer.from([0x44, 0x7f, 0xff, 0xff, 0xff]));
    });
    const client = await connectTo(t, server.port, { maxMessageBytes: 65_536 });
    const closed = closedPromise(client);
    const expected = isAppErrorWith(
      'internal',
      /^protocol violation by server 127\.0\.0\.1:\d+: invalid frame length 2147483647 for message 'D': at most 65536$/,
    );
    await assert.rejects(client.simpleQuery('SELECT 1'), expected);
    assert.ok(expected(await closed));
    await server.finished();
  },
);
