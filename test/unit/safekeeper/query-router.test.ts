// The query router over a real loopback socket: unknown commands and failing routes answer
// ERROR and leave the connection serving, the WAL service's own commands are found by their
// first word, a plugged-in mode gets every frame while it is active and how it ends decides
// what follows (queries again, an ERROR, or the close), and a frame outside COPY is FATAL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import {
  decodeCommandComplete,
  encodeCopyBothResponse,
} from '../../../src/postgres/wire/backend-messages.js';
import {
  encodeCopyData,
  encodeQuery,
  encodeTerminate,
} from '../../../src/postgres/wire/frontend-messages.js';
import type {
  CommandRoute,
  ModeEnd,
  ModeHandler,
} from '../../../src/safekeeper/pg-wire/mode-handler.js';
import { WAL_SERVICE_ROUTES } from '../../../src/safekeeper/pg-wire/query-router.js';
import type { WireConnection } from '../../../src/safekeeper/pg-wire/wire-connection.js';
import type { RawConnection } from '../../helpers/raw-wire-connection.js';
import {
  errorOf,
  openRouterHarness,
  READ_TIMEOUT_MS,
  readUntilClosed,
  typesOf,
} from './wire-harness.js';

/** The ErrorResponse + ReadyForQuery answer to `sql`: severity, SQLSTATE and message. */
async function errorAnswer(client: RawConnection, sql: string): Promise<string[]> {
  client.write(encodeQuery(sql));
  const answer = await client.readUntil('Z', READ_TIMEOUT_MS);
  assert.equal(typesOf(answer), 'EZ', `the answer to "${sql}"`);
  const error = errorOf(answer[0]);
  return [error.severity, error.sqlState, error.message];
}

test('an unknown command gets ERROR 0A000 naming the served commands; the connection serves on', async (t) => {
  const { client } = await openRouterHarness(t, WAL_SERVICE_ROUTES);
  assert.deepEqual(await errorAnswer(client, 'SELECT 1;'), [
    'ERROR',
    '0A000',
    'unsupported command "SELECT 1": this safekeeper accepts IDENTIFY_SYSTEM, SHOW, READ_REPLICATION_SLOT, START_WAL_PUSH and START_REPLICATION',
  ]);
  // The next commands reach their routes (which find no such timeline, or a malformed command).
  const [, absent] = await errorAnswer(client, ' identify_system ; ');
  assert.equal(absent, '42704');
  const [, malformed, message] = await errorAnswer(client, 'START_REPLICATION now');
  assert.equal(malformed, '08P01');
  assert.match(message ?? '', /malformed START_REPLICATION/);
  assert.equal((await errorAnswer(client, 'START_REPLICATION 0/0'))[1], '42704');
  client.write(encodeTerminate());
  assert.deepEqual(await readUntilClosed(client), []);
});

/** A mode that records its frames and ends as a CopyData tells it: complete, fail or quit. */
class RecordingMode implements ModeHandler {
  readonly frames: string[] = [];
  closeCount = 0;
  private end: (outcome: ModeEnd) => void = () => assert.fail('end before begin');

  constructor(private readonly connection: WireConnection) {}

  async begin(end: (outcome: ModeEnd) => void): Promise<void> {
    this.end = end;
    await this.connection.write([encodeCopyBothResponse()]);
  }

  step(): Promise<void> {
    const frame = this.connection.take();
    assert.equal(frame.kind, 'message');
    const text = frame.body.toString('latin1');
    this.frames.push(`${frame.type}:${text}`);
    if (frame.type === 'd' && text === 'complete')
      this.end({ kind: 'complete', commandTag: 'RECORD' });
    if (frame.type === 'd' && text === 'fail')
      this.end({ kind: 'failed', error: new AppError('wrong-state', 'the test mode failed') });
    if (frame.type === 'd' && text === 'quit') this.end({ kind: 'terminate' });
    return Promise.resolve();
  }

  close(): void {
    this.closeCount++;
  }
}

function recordingRoute(modes: RecordingMode[]): CommandRoute {
  return {
    keyword: 'RECORD',
    run: ({ connection }) => {
      const mode = new RecordingMode(connection);
      modes.push(mode);
      return Promise.resolve(mode);
    },
  };
}

test('a plugged-in mode gets every frame while active; how it ends decides what follows', async (t) => {
  const modes: RecordingMode[] = [];
  const { client } = await openRouterHarness(t, [recordingRoute(modes)]);
  client.write(encodeQuery('record'));
  assert.equal((await client.readMessage(READ_TIMEOUT_MS)).type, 'W');
  client.write(encodeQuery('IDENTIFY_SYSTEM'));
  client.write(encodeCopyData(Buffer.from('hello')));
  client.write(encodeCopyData(Buffer.from('complete')));
  const completed = await client.readUntil('Z', READ_TIMEOUT_MS);
  assert.equal(typesOf(completed), 'CZ');
  assert.equal(decodeCommandComplete(completed[0]?.body ?? Buffer.alloc(0)), 'RECORD');
  assert.deepEqual(modes[0]?.frames, ['Q:IDENTIFY_SYSTEM\0', 'd:hello', 'd:complete']);
  assert.equal(modes[0]?.closeCount, 1, 'the ended mode is closed once');
  // Queries are routed again; a mode that fails answers ERROR and the connection stays.
  client.write(encodeQuery('RECORD'));
  assert.equal((await client.readMessage(READ_TIMEOUT_MS)).type, 'W');
  client.write(encodeCopyData(Buffer.from('fail')));
  const failed = await client.readUntil('Z', READ_TIMEOUT_MS);
  assert.equal(typesOf(failed), 'EZ');
  assert.deepEqual(
    [errorOf(failed[0]).severity, errorOf(failed[0]).sqlState, errorOf(failed[0]).message],
    ['ERROR', '55000', 'the test mode failed'],
  );
  assert.equal((await errorAnswer(client, 'NOPE'))[1], '0A000');
  // A mode that terminates closes the connection.
  client.write(encodeQuery('RECORD'));
  assert.equal((await client.readMessage(READ_TIMEOUT_MS)).type, 'W');
  client.write(encodeCopyData(Buffer.from('quit')));
  assert.deepEqual(await readUntilClosed(client), []);
  assert.deepEqual(
    modes.map((mode) => mode.closeCount),
    [1, 1, 1],
  );
});

test('a route that throws answers ERROR with its SQLSTATE; the connection stays', async (t) => {
  const broken: CommandRoute = {
    keyword: 'BROKEN',
    run: () => Promise.reject(new AppError('integrity', 'the test route broke')),
  };
  const { client } = await openRouterHarness(t, [broken]);
  assert.deepEqual(await errorAnswer(client, 'BROKEN'), ['ERROR', 'XX001', 'the test route broke']);
  assert.deepEqual(await errorAnswer(client, 'BROKEN'), ['ERROR', 'XX001', 'the test route broke']);
});

test('a CopyData outside COPY is FATAL 08P01 and closes the connection', async (t) => {
  const modes: RecordingMode[] = [];
  const { client } = await openRouterHarness(t, [recordingRoute(modes)]);
  client.write(encodeCopyData(Buffer.from('complete')));
  const messages = await readUntilClosed(client);
  assert.equal(typesOf(messages), 'E');
  const error = errorOf(messages[0]);
  assert.deepEqual([error.severity, error.sqlState], ['FATAL', '08P01']);
  assert.match(error.message, /unexpected message type 'd' outside COPY/);
  assert.equal(modes.length, 0);
});
