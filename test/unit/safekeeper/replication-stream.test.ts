// The replication stream as a long-lived CopyBoth over a real loopback socket, with a source
// that sends numbered keepalives until it is stopped: the client's standby status updates are
// read while it sends (the latest kept), hot-standby and pageserver feedback reach the stream's
// sink, malformed feedback is ignored (counted) while the stream goes on, the client's CopyDone
// stops it cleanly, an unknown CopyData kind or Terminate ends the connection, a vanished connection stops it silently, a source that
// completes or fails ends the mode and the connection serves queries again.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { pollUntil } from '../../../src/common/deadline.js';
import { AppError } from '../../../src/common/errors.js';
import { formatLsn } from '../../../src/postgres/lsn.js';
import { decodeCommandComplete } from '../../../src/postgres/wire/backend-messages.js';
import {
  encodeCopyData,
  encodeCopyDone,
  encodeQuery,
  encodeTerminate,
} from '../../../src/postgres/wire/frontend-messages.js';
import {
  decodePrimaryKeepalive,
  encodeHotStandbyFeedback,
  encodePrimaryKeepalive,
  encodeStandbyStatusUpdate,
  type StandbyHotStandbyFeedback,
  type StandbyStatusUpdate,
} from '../../../src/postgres/wire/replication-messages.js';
import { encodeNeonFeedbackMessage } from '../../../src/protocol/neon-feedback-message.js';
import type { PageserverFeedback } from '../../../src/protocol/proposer-messages.js';
import type { CommandRoute } from '../../../src/safekeeper/pg-wire/mode-handler.js';
import {
  ReplicationStream,
  type ReplicaFeedbackSink,
  type WalStreamSource,
} from '../../../src/safekeeper/pg-wire/replication-stream.js';
import type { BackendMessage, RawConnection } from '../../helpers/raw-wire-connection.js';
import {
  errorOf,
  openRouterHarness,
  READ_TIMEOUT_MS,
  readUntilClosed,
  SILENT_LOG,
  typesOf,
  type WireHarness,
} from './wire-harness.js';

const TICK_MS = 5;
const POLL = { timeoutMs: READ_TIMEOUT_MS, intervalMs: 5 };
const TEST_OPTIONS = { timeout: 20_000 };

/** Keepalive n (as its WAL end) every TICK_MS: 1, 2, ...; optionally `limit` of them or a failure. */
class TickingSource implements WalStreamSource {
  sentCount = 0;
  isClosed = false;
  readonly violations: string[] = [];

  constructor(private readonly options: { limit?: number; failAt?: number } = {}) {}

  async next(signal: AbortSignal): Promise<readonly Uint8Array[] | undefined> {
    if (this.isClosed) this.violations.push('next() after close()');
    if (this.sentCount === this.options.limit) return undefined;
    await sleep(TICK_MS, undefined, { signal });
    if (this.sentCount + 1 === this.options.failAt)
      throw new AppError('integrity', 'the test source broke');
    this.sentCount++;
    const keepalive = { walEndLsn: BigInt(this.sentCount), sendTimeMicros: 0n };
    return [encodeCopyData(encodePrimaryKeepalive({ ...keepalive, replyRequested: false }))];
  }

  close(): Promise<void> {
    if (this.isClosed) this.violations.push('close() twice');
    this.isClosed = true;
    return Promise.resolve();
  }
}

interface StreamFixture extends WireHarness {
  readonly source: TickingSource;
  /** The stream the STREAM command started (after it was sent). */
  stream(): ReplicationStream;
  /** Checks that `message` is the next keepalive in order; returns its number. */
  checkKeepalive(message: BackendMessage): bigint;
  /** Reads one keepalive and checks it. */
  readKeepalive(): Promise<bigint>;
}

/** A router serving STREAM (a ReplicationStream over `source`); STREAM is sent, 'W' read. */
async function openStream(
  t: TestContext,
  source: TickingSource,
  sink?: ReplicaFeedbackSink,
): Promise<StreamFixture> {
  const streams: ReplicationStream[] = [];
  const route: CommandRoute = {
    keyword: 'STREAM',
    run: ({ connection }) => {
      const stream = new ReplicationStream(connection, source, SILENT_LOG, sink);
      streams.push(stream);
      return Promise.resolve(stream);
    },
  };
  const harness = await openRouterHarness(t, [route]);
  harness.client.write(encodeQuery('STREAM'));
  assert.equal((await harness.client.readMessage(READ_TIMEOUT_MS)).type, 'W');
  let expected = 1n;
  const checkKeepalive = (message: BackendMessage): bigint => {
    const walEndLsn = keepaliveOf(message);
    assert.equal(walEndLsn, expected++, 'keepalives arrive in order');
    return walEndLsn;
  };
  return {
    ...harness,
    source,
    stream: () => streams[0] ?? assert.fail('STREAM started no stream'),
    checkKeepalive,
    readKeepalive: async () => checkKeepalive(await harness.client.readMessage(READ_TIMEOUT_MS)),
  };
}

function keepaliveOf(message: BackendMessage): bigint {
  assert.equal(message.type, 'd');
  return decodePrimaryKeepalive(message.body).walEndLsn;
}

function statusUpdate(lsn: bigint): StandbyStatusUpdate {
  return {
    writeLsn: lsn,
    flushLsn: lsn - 8n,
    applyLsn: lsn - 16n,
    sendTimeMicros: 777n,
    replyRequested: false,
  };
}

async function waitKept(stream: ReplicationStream, status: StandbyStatusUpdate): Promise<void> {
  const isKept = () =>
    Promise.resolve(isDeepStrictEqual(stream.standbyStatus, status) ? true : undefined);
  const what = `the status update of write LSN ${formatLsn(status.writeLsn)}`;
  assert.ok(await pollUntil(isKept, POLL), `${what} is kept`);
}

/** The rest of the stream after the client's CopyDone: keepalives, CopyDone, C, Z. */
async function readEnd(fixture: StreamFixture): Promise<void> {
  const rest = await fixture.client.readUntil('Z', READ_TIMEOUT_MS);
  assert.match(typesOf(rest), /^d*cCZ$/);
  for (const message of rest.slice(0, -3)) fixture.checkKeepalive(message);
  const commandComplete = rest.at(-2)?.body ?? Buffer.alloc(0);
  assert.equal(decodeCommandComplete(commandComplete), 'START_REPLICATION');
}

async function assertServesQueries(client: RawConnection): Promise<void> {
  client.write(encodeQuery('NOPE'));
  const answer = await client.readUntil('Z', READ_TIMEOUT_MS);
  assert.equal(typesOf(answer), 'EZ');
  assert.equal(errorOf(answer[0]).sqlState, '0A000');
}

test(
  'standby status updates are read while the stream sends; the latest is kept',
  TEST_OPTIONS,
  async (t) => {
    const fixture = await openStream(t, new TickingSource());
    const { client, source } = fixture;
    await fixture.readKeepalive();
    const first = statusUpdate(0x1000n);
    client.write(encodeCopyData(encodeStandbyStatusUpdate(first)));
    await waitKept(fixture.stream(), first);
    // The sender did not wait for the reader: keepalives sent after the update was kept arrive.
    const sentWhenKept = BigInt(source.sentCount);
    let latest = 0n;
    while (latest <= sentWhenKept) latest = await fixture.readKeepalive();
    const second = statusUpdate(0x2000n);
    client.write(encodeCopyData(encodeStandbyStatusUpdate(second)));
    await waitKept(fixture.stream(), second);
    assert.equal(source.isClosed, false, 'the stream still runs');
    client.write(encodeCopyDone());
    await readEnd(fixture);
    await fixture.stream().finished;
    assert.equal(source.isClosed, true);
    assert.deepEqual(source.violations, []);
    await assertServesQueries(client);
  },
);

test(
  "the client's CopyDone stops an endless stream: CopyDone, CommandComplete, ReadyForQuery",
  TEST_OPTIONS,
  async (t) => {
    const fixture = await openStream(t, new TickingSource());
    await fixture.readKeepalive();
    fixture.client.write(encodeCopyDone());
    await readEnd(fixture);
    await fixture.stream().finished;
    assert.equal(fixture.source.isClosed, true);
    assert.deepEqual(fixture.source.violations, []);
    await assertServesQueries(fixture.client);
  },
);

test(
  'a complete source ends with CopyDone, CommandComplete and ReadyForQuery',
  TEST_OPTIONS,
  async (t) => {
    const fixture = await openStream(t, new TickingSource({ limit: 3 }));
    const messages = await fixture.client.readUntil('Z', READ_TIMEOUT_MS);
    assert.equal(typesOf(messages), 'dddcCZ');
    assert.deepEqual(messages.slice(0, 3).map(keepaliveOf), [1n, 2n, 3n]);
    await fixture.stream().finished;
    assert.equal(fixture.source.isClosed, true);
    // A CopyDone of the client now is outside COPY: the mode is over.
    fixture.client.write(encodeCopyDone());
    const [fatal] = await readUntilClosed(fixture.client);
    assert.match(errorOf(fatal).message, /unexpected message type 'c' outside COPY/);
  },
);

test(
  'a failing source answers ERROR and ReadyForQuery; the connection serves again',
  TEST_OPTIONS,
  async (t) => {
    const fixture = await openStream(t, new TickingSource({ failAt: 3 }));
    const messages = await fixture.client.readUntil('Z', READ_TIMEOUT_MS);
    assert.equal(typesOf(messages), 'ddEZ', 'no CopyDone after a failure');
    const error = errorOf(messages[2]);
    assert.deepEqual(
      [error.severity, error.sqlState, error.message],
      ['ERROR', 'XX001', 'the test source broke'],
    );
    await fixture.stream().finished;
    assert.equal(fixture.source.isClosed, true);
    await assertServesQueries(fixture.client);
  },
);

const BAD_COPY_DATA: readonly (readonly [string, Buffer, RegExp])[] = [
  ['an unknown kind', Buffer.from('q-what'), /unsupported replication message: kind 'q'/],
  ['an empty CopyData', Buffer.alloc(0), /an empty CopyData/],
];

/** Records what a stream hands its sink. */
class RecordingSink implements ReplicaFeedbackSink {
  readonly statuses: StandbyStatusUpdate[] = [];
  readonly hotStandby: StandbyHotStandbyFeedback[] = [];
  readonly pageserver: PageserverFeedback[] = [];
  standbyStatus(status: StandbyStatusUpdate): void {
    this.statuses.push(status);
  }
  hotStandbyFeedback(feedback: StandbyHotStandbyFeedback): void {
    this.hotStandby.push(feedback);
  }
  pageserverFeedback(feedback: PageserverFeedback): Promise<void> {
    this.pageserver.push(feedback);
    return Promise.resolve();
  }
}

const HOT_STANDBY: StandbyHotStandbyFeedback = {
  sendTimeMicros: 99n,
  xmin: (3n << 32n) | 1234n,
  catalogXmin: 1200n,
};
const PAGESERVER: PageserverFeedback = {
  currentTimelineSizeBytes: 1n,
  psWriteLsn: 0x3000n,
  psFlushLsn: 0x2000n,
  psApplyLsn: 0x1000n,
  psReplyTimeMicros: 5n,
};
const MALFORMED_FEEDBACK: readonly Buffer[] = [
  Buffer.from('r123456789'),
  Buffer.alloc(24, 'h'),
  encodeHotStandbyFeedback(HOT_STANDBY).subarray(0, 20),
  Buffer.concat([encodeHotStandbyFeedback(HOT_STANDBY), Buffer.from([0])]),
  Buffer.from('z1234567'),
  encodeNeonFeedbackMessage(PAGESERVER).subarray(0, 30),
  Buffer.concat([encodeNeonFeedbackMessage(PAGESERVER), Buffer.from([0])]),
];

test(
  'feedback reaches the sink; malformed feedback is ignored and the stream goes on',
  TEST_OPTIONS,
  async (t) => {
    const sink = new RecordingSink();
    const fixture = await openStream(t, new TickingSource(), sink);
    await fixture.readKeepalive();
    for (const payload of MALFORMED_FEEDBACK) fixture.client.write(encodeCopyData(payload));
    fixture.client.write(encodeCopyData(encodeHotStandbyFeedback(HOT_STANDBY)));
    fixture.client.write(encodeCopyData(encodeNeonFeedbackMessage(PAGESERVER)));
    fixture.client.write(encodeCopyData(encodeStandbyStatusUpdate(statusUpdate(0x500n))));
    const isDone = () => Promise.resolve(sink.statuses.length === 1 ? true : undefined);
    assert.ok(await pollUntil(isDone, POLL), 'the status update after them is read');
    assert.deepEqual(sink.hotStandby, [HOT_STANDBY]);
    assert.deepEqual(sink.pageserver, [PAGESERVER]);
    assert.equal(fixture.stream().malformedFeedbackCount, MALFORMED_FEEDBACK.length);
    const before = fixture.source.sentCount;
    await fixture.readKeepalive();
    assert.ok(
      await pollUntil(
        () => Promise.resolve(fixture.source.sentCount > before + 1 || undefined),
        POLL,
      ),
    );
    fixture.client.write(encodeCopyDone());
    await readEnd(fixture);
  },
);

for (const [label, payload, expected] of BAD_COPY_DATA)
  test(`${label} from the client is FATAL 08P01 and the stream stops`, TEST_OPTIONS, async (t) => {
    const fixture = await openStream(t, new TickingSource());
    await fixture.readKeepalive();
    fixture.client.write(encodeCopyData(payload));
    const messages = await readUntilClosed(fixture.client);
    assert.match(typesOf(messages), /^d*E$/);
    const error = errorOf(messages.at(-1));
    assert.deepEqual([error.severity, error.sqlState], ['FATAL', '08P01']);
    assert.match(error.message, expected);
    await fixture.stream().finished;
    assert.equal(fixture.source.isClosed, true);
    assert.deepEqual(fixture.source.violations, []);
  });

test('Terminate during the stream ends the connection', TEST_OPTIONS, async (t) => {
  const fixture = await openStream(t, new TickingSource());
  await fixture.readKeepalive();
  fixture.client.write(encodeTerminate());
  assert.match(typesOf(await readUntilClosed(fixture.client)), /^d*$/);
  await fixture.stream().finished;
  assert.equal(fixture.source.isClosed, true);
});

for (const side of ['client', 'server'] as const)
  test(
    `the connection destroyed by the ${side} stops the stream silently`,
    TEST_OPTIONS,
    async (t) => {
      const fixture = await openStream(t, new TickingSource());
      await fixture.readKeepalive();
      // The server side is what the WAL service's closeConnections() destroys at shutdown.
      if (side === 'client') fixture.client.destroy();
      else fixture.serverSocket.destroy();
      await fixture.stream().finished;
      assert.equal(fixture.source.isClosed, true);
      assert.deepEqual(fixture.source.violations, []);
    },
  );
