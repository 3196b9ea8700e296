// The WAL streamer against fake links: admitted acceptors get the WAL in AppendRequests of at
// most MAX_APPEND_WAL_BYTES, in step acceptors share one head, no more than the in-flight bound
// goes out unflushed, a full socket pauses an acceptor until it drains, commit_lsn follows the
// quorum and reaches idle acceptors in an empty append, and bad answers are errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { generateHexId } from '../../../src/common/hex-id.js';
import { decodeProposerMessage } from '../../../src/protocol/proposer-codec.js';
import {
  MAX_APPEND_WAL_BYTES,
  type AppendRequest,
  type AppendResponse,
} from '../../../src/protocol/proposer-messages.js';
import type { LinkState } from '../../../src/walproposer/acceptor-link.js';
import { WalBuffer } from '../../../src/walproposer/wal-buffer.js';
import { WalStreamer, type StreamLink } from '../../../src/walproposer/wal-streamer.js';

const TERM = 3n;
const START = 1_000_000n;
const MIB = 1024 * 1024;

class FakeLink implements StreamLink {
  state: LinkState = 'up';
  /** What sendAppend answers: false as a socket that wants a drain. */
  flowing = true;
  readonly heads: Uint8Array[] = [];
  readonly requests: AppendRequest[] = [];
  private drained: (() => void) | undefined;
  constructor(readonly name: string) {}
  sendAppend(head: Uint8Array, walParts: readonly Uint8Array[]): boolean {
    const message = decodeProposerMessage(Buffer.concat([head, ...walParts]));
    assert.equal(message.tag, 'append');
    this.heads.push(head);
    this.requests.push(message);
    return this.flowing;
  }
  waitForDrain(): Promise<void> {
    return new Promise((resolve) => (this.drained = resolve));
  }
  drain(): void {
    this.flowing = true;
    this.drained?.();
  }
  /** The end LSN of the last request sent (where the acceptor's WAL will end). */
  sentEndLsn(): bigint {
    return this.requests.at(-1)?.header.endLsn ?? 0n;
  }
}

function response(flushLsn: bigint, commitLsn = 0n, term = TERM): AppendResponse {
  return {
    tag: 'append',
    term,
    flushLsn,
    commitLsn,
    hotStandbyFeedback: { timestampMicros: 0n, xmin: 0n, catalogXmin: 0n },
    pageserverFeedback: {
      currentTimelineSizeBytes: 0n,
      psWriteLsn: 0n,
      psFlushLsn: 0n,
      psApplyLsn: 0n,
      psReplyTimeMicros: 0n,
    },
  };
}

function setUp() {
  const links = [
    new FakeLink('safekeeper 1'),
    new FakeLink('safekeeper 2'),
    new FakeLink('safekeeper 3'),
  ];
  const progress = { count: 0 };
  const term = {
    term: TERM,
    epochStartLsn: START,
    proposerId: generateHexId(),
    truncateLsn: 0n,
    quorum: 2,
  };
  const streamer = new WalStreamer(links, new WalBuffer(START), term, () => progress.count++);
  return { links, streamer, progress };
}

const nextImmediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('admitted acceptors get the WAL in bounded appends; acceptors in step share the head', () => {
  const { links, streamer } = setUp();
  streamer.admit(0, START);
  streamer.admit(1, START);
  const [first, second, third] = links as [FakeLink, FakeLink, FakeLink];
  // One append larger than an AppendRequest: cut in pieces, each acceptor sent all of them.
  const wal = Buffer.alloc(MAX_APPEND_WAL_BYTES * 2 + 100, 1);
  streamer.append(wal);
  assert.deepEqual(
    first.requests.map((request) => request.walBytes.length),
    [MAX_APPEND_WAL_BYTES, MAX_APPEND_WAL_BYTES, 100],
  );
  assert.deepEqual(second.requests, first.requests);
  assert.equal(third.requests.length, 0, 'not admitted: nothing');
  const end = START + BigInt(wal.length);
  assert.equal(streamer.streamOf(1).nextLsn, end);
  // Appends of at most one request: both acceptors are sent each one in turn, with one head.
  for (let index = 0; index < 3; index++) streamer.append(Buffer.alloc(1000, index));
  const shared = first.heads.slice(3);
  assert.equal(shared.length, 3);
  assert.ok(
    shared.every((head, index) => head === second.heads[3 + index]),
    'the same head bytes for both acceptors',
  );
  assert.equal(new Set(shared).size, 3, 'a head per request');
});

test('no more than the in-flight bound goes out before the acceptor flushes', () => {
  const { links, streamer } = setUp();
  const link = links[0] as FakeLink;
  streamer.admit(0, START);
  streamer.append(Buffer.alloc(20 * MIB, 2));
  const inFlight = link.sentEndLsn() - START;
  assert.ok(inFlight >= 16n * BigInt(MIB), `${inFlight} bytes sent`);
  assert.ok(inFlight < 16n * BigInt(MIB) + BigInt(MAX_APPEND_WAL_BYTES), `${inFlight} bytes sent`);
  streamer.onAppendResponse(0, response(START + 8n * BigInt(MIB)));
  assert.equal(link.sentEndLsn() - START, 20n * BigInt(MIB), 'the rest goes once 8 MiB flushed');
});

test('a full socket pauses an acceptor until it drains', async () => {
  const { links, streamer } = setUp();
  const link = links[0] as FakeLink;
  link.flowing = false;
  streamer.admit(0, START);
  streamer.append(Buffer.alloc(MAX_APPEND_WAL_BYTES * 3, 3));
  assert.equal(link.requests.length, 1);
  assert.equal(streamer.streamOf(0).isDraining, true);
  streamer.append(Buffer.alloc(10, 3));
  assert.equal(link.requests.length, 1, 'nothing more while draining');
  link.drain();
  await nextImmediate();
  assert.equal(link.requests.length, 4);
  assert.equal(streamer.streamOf(0).isDraining, false);
});

test('commit_lsn follows the quorum and reaches idle acceptors in an empty append', async () => {
  const { links, streamer, progress } = setUp();
  for (const index of [0, 1, 2]) streamer.admit(index, START);
  streamer.append(Buffer.alloc(1000, 4));
  const end = START + 1000n;
  streamer.onAppendResponse(0, response(end));
  assert.equal(streamer.commitLsn, 0n, 'one flush is no quorum');
  assert.equal(progress.count, 0);
  streamer.onAppendResponse(1, response(START + 600n));
  assert.equal(streamer.commitLsn, START + 600n);
  assert.equal(progress.count, 1);
  streamer.onAppendResponse(2, response(end));
  assert.equal(streamer.commitLsn, end);
  await nextImmediate();
  // One announcement after both rises: each idle acceptor is sent the last commit once.
  for (const link of links) {
    const last = link.requests.at(-1) as AppendRequest;
    assert.deepEqual([last.walBytes.length, last.header.commitLsn], [0, end], link.name);
    assert.equal(link.requests.length, 2, link.name);
  }
  streamer.onAppendResponse(0, response(end, end));
  assert.equal(streamer.streamOf(0).ackedCommitLsn, end);
  assert.equal(streamer.hasAcknowledged([0], end), true);
  assert.equal(streamer.hasAcknowledged([0, 1], end), false);
  (links[1] as FakeLink).state = 'down';
  assert.equal(streamer.hasAcknowledged([0, 1], end), true, 'a gone acceptor is not waited for');
});

test('announceCommit sends the commit to idle connected acceptors and lists them', () => {
  const { links, streamer } = setUp();
  streamer.admit(0, START);
  streamer.admit(1, START);
  (links[2] as FakeLink).state = 'down';
  streamer.append(Buffer.alloc(100, 5));
  assert.deepEqual(streamer.announceCommit(), [0, 1]);
  assert.deepEqual(
    links.map((link) => link.requests.length),
    [2, 2, 0],
  );
});

test('answers of a newer term, or flushes beyond the WAL proposed, are errors', () => {
  const { streamer } = setUp();
  streamer.admit(0, START);
  streamer.append(Buffer.alloc(100, 6));
  const isCode = (code: string) => (error: unknown) =>
    error instanceof AppError && error.code === code;
  assert.throws(
    () => streamer.onAppendResponse(0, response(START, 0n, TERM + 1n)),
    isCode('wrong-state'),
  );
  assert.throws(() => streamer.onAppendResponse(0, response(START + 101n)), isCode('integrity'));
  streamer.onAppendResponse(1, response(START + 100n));
  assert.equal(streamer.acknowledgedFlushLsn(1), 0n, 'an acceptor not admitted is not counted');
  streamer.detach(0);
  streamer.onAppendResponse(0, response(START + 100n));
  assert.equal(streamer.acknowledgedFlushLsn(0), 0n, 'nor one whose connection is gone');
});
