// The acceptor's protocol steps on a real timeline (registry, control file and WAL storage in a
// temp dir), driven message by message: greeting checks, votes only for a strictly higher term
// and durable before the reply, ProposerElected truncation and its refusals, appends batched
// into one flush and one reply, commit_lsn capped at flush_lsn, stale terms answered.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { pollUntil } from '../../../src/common/deadline.js';
import { parseTenantId, parseTimelineId } from '../../../src/common/hex-id.js';
import { decodeControlFile } from '../../../src/safekeeper/control-file/control-file-codec.js';
import {
  CONTROL_FILE_NAME,
  readControlFile,
} from '../../../src/safekeeper/control-file/control-file-store.js';
import { Acceptor } from '../../../src/safekeeper/protocol/acceptor.js';
import type {
  AcceptorMessage,
  AppendRequest,
  AppendResponse,
  ProposerGreeting,
  ProposerMessage,
  VoteResponse,
} from '../../../src/protocol/proposer-messages.js';
import { TimelineRegistry } from '../../../src/safekeeper/timeline/timeline-registry.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { makeTestWal, MIB, TEST_SYSTEM_ID, walSlice } from '../../helpers/wal.js';

const TENANT = parseTenantId('a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1');
const TIMELINE = parseTimelineId('b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2');
const PROPOSER = 'c3'.repeat(16);
const START = BigInt(MIB);

const GREETING: ProposerGreeting = {
  tag: 'greeting',
  protocolVersion: 2,
  pgVersion: 150000,
  proposerId: PROPOSER,
  systemId: TEST_SYSTEM_ID,
  timelineId: TIMELINE,
  tenantId: TENANT,
  pgTimeline: 1,
  walSegSize: MIB,
};

interface Fixture {
  registry: TimelineRegistry;
  flushes: { count: number };
  /** Completed control-file persists (with the term then on disk) and logged replies, in order. */
  events: string[];
  dir: string;
  connect(): Acceptor;
}

async function fixture(t: TestContext): Promise<Fixture> {
  const dataDir = await makeTempDir(t);
  const flushes = { count: 0 };
  const events: string[] = [];
  const log = pino({ level: 'silent' });
  const registry = new TimelineRegistry({
    dataDir,
    noSync: true,
    controlFileSaveIntervalMs: 300_000,
    walBackupConfigured: false,
    log,
    observerFor: () => ({
      observeWriteSeconds: () => undefined,
      observeFlushSeconds: () => {
        flushes.count++;
      },
      // Called by the control-file store once a persist is complete (renamed into place): the
      // file read back at that moment is what the persist made durable. At creation the file is
      // still in the registry's temp directory.
      observePersistSeconds: () => {
        const path = join(dataDir, TENANT, TIMELINE, CONTROL_FILE_NAME);
        if (!existsSync(path)) {
          events.push('persisted at creation');
          return;
        }
        const { state } = decodeControlFile(readFileSync(path));
        events.push(`persisted term ${state.acceptorState.term}`);
      },
    }),
  });
  t.after(() => registry.closeAll());
  const context = { nodeId: 7n, tenantId: TENANT, timelineId: TIMELINE, registry, log };
  return {
    registry,
    flushes,
    events,
    dir: join(dataDir, TENANT, TIMELINE),
    connect: () => new Acceptor(context),
  };
}

function append(term: bigint, beginLsn: bigint, bytes: Buffer, commitLsn = 0n): AppendRequest {
  return {
    tag: 'append',
    header: {
      term,
      epochStartLsn: START,
      beginLsn,
      endLsn: beginLsn + BigInt(bytes.length),
      commitLsn,
      truncateLsn: 0n,
      proposerId: PROPOSER,
    },
    walBytes: bytes,
  };
}

async function one(acceptor: Acceptor, message: ProposerMessage): Promise<AcceptorMessage> {
  const replies = await acceptor.process([message]);
  assert.equal(replies.length, 1);
  return replies[0] as AcceptorMessage;
}

async function elect(acceptor: Acceptor, term: bigint, startStreamingAt = START): Promise<void> {
  assert.equal(((await one(acceptor, { tag: 'vote', term })) as VoteResponse).voteGiven, true);
  const replies = await acceptor.process([
    {
      tag: 'elected',
      term,
      startStreamingAt,
      termHistory: [{ term, lsn: START }],
      timelineStartLsn: START,
    },
  ]);
  assert.deepEqual(replies, [], 'ProposerElected is not answered');
}

test('the greeting binds the connection to its timeline and checks what it can', async (t) => {
  const f = await fixture(t);
  const bad: [Partial<ProposerGreeting>, RegExp][] = [
    [{ protocolVersion: 1 }, /protocol version 1/],
    [{ tenantId: parseTenantId('f'.repeat(32)) }, /is for f+\//],
    [{ walSegSize: 3000 }, /segment size/i],
    [{ pgTimeline: 2 }, /timeline 2/],
  ];
  for (const [change, message] of bad)
    await assert.rejects(f.connect().process([{ ...GREETING, ...change }]), message);
  assert.equal(f.registry.get(TENANT, TIMELINE), undefined, 'refused greetings create nothing');
  const acceptor = f.connect();
  assert.deepEqual(await one(acceptor, GREETING), { tag: 'greeting', term: 0n, nodeId: 7n });
  await assert.rejects(acceptor.process([GREETING]), /second ProposerGreeting/);
  // The timeline now has a system id and segment size; another proposer may not change them.
  await assert.rejects(f.connect().process([{ ...GREETING, systemId: 1n }]), /system id 1 differs/);
  await assert.rejects(f.connect().process([{ ...GREETING, walSegSize: 2 * MIB }]), /segment size/);
  await assert.rejects(f.connect().process([{ tag: 'vote', term: 1n }]), /before ProposerGreeting/);
});

test('votes go only to a strictly higher term, durable before the reply', async (t) => {
  const f = await fixture(t);
  const acceptor = f.connect();
  await one(acceptor, GREETING);
  f.events.length = 0;
  // The reply sink: a reply is "written" when process() hands it over, as the wire session
  // writes what process() returns. Each written vote is logged beside the persists.
  const vote = async (term: bigint): Promise<VoteResponse> => {
    const reply = (await one(acceptor, { tag: 'vote', term })) as VoteResponse;
    f.events.push(`reply term ${reply.term} given ${reply.voteGiven}`);
    return reply;
  };
  const granted = await vote(5n);
  assert.equal(granted.voteGiven, true);
  assert.equal(granted.term, 5n);
  // A persist still in flight (started, not awaited) gets time to complete and log itself.
  const persisted = await pollUntil(
    () => Promise.resolve(f.events.includes('persisted term 5') ? true : undefined),
    { timeoutMs: 5_000, intervalMs: 5 },
  );
  assert.equal(persisted, true, `term 5 was never persisted: ${f.events.join(', ')}`);
  assert.deepEqual(
    f.events,
    ['persisted term 5', 'reply term 5 given true'],
    'the new term is on disk before the vote is written',
  );
  assert.equal(
    (await readControlFile(join(f.dir, CONTROL_FILE_NAME))).state.acceptorState.term,
    5n,
  );
  f.events.length = 0;
  for (const term of [5n, 4n]) {
    const refused = await vote(term);
    assert.equal(refused.voteGiven, false, `term ${term}`);
    assert.equal(refused.term, 5n);
  }
  assert.deepEqual(
    f.events,
    ['reply term 5 given false', 'reply term 5 given false'],
    'a refused vote writes nothing',
  );
});

test('appends: one flush and one reply per batch, commit capped at flush, stale terms answered', async (t) => {
  const f = await fixture(t);
  const acceptor = f.connect();
  await one(acceptor, GREETING);
  await assert.rejects(
    acceptor.process([append(3n, START, Buffer.alloc(0))]),
    /AppendRequest of term 3 before ProposerElected/,
  );
  await elect(acceptor, 3n);
  const wal = walOf([8192, 8192, 8192, 300]);
  const cut = [START, wal.records[1]!.endLsn, wal.records[2]!.startLsn + 100n, wal.endLsn];
  const batch = cut
    .slice(0, -1)
    .map((from, index) =>
      append(3n, from, walSlice(wal, from, cut[index + 1]!), wal.endLsn + 4096n),
    );
  const flushesBefore = f.flushes.count;
  const replies = await acceptor.process(batch);
  assert.equal(replies.length, 1, 'one reply for the batch');
  assert.equal(f.flushes.count - flushesBefore, 1, 'one flush for the batch');
  const reply = replies[0] as AppendResponse;
  assert.equal(reply.flushLsn, wal.endLsn);
  assert.equal(reply.commitLsn, wal.endLsn, 'commit_lsn is capped at flush_lsn');
  // An older proposer learns the newer term and nothing is written.
  const stale = (await one(acceptor, append(2n, wal.endLsn, Buffer.alloc(16)))) as AppendResponse;
  assert.deepEqual([stale.term, stale.flushLsn, stale.commitLsn], [3n, 0n, 0n]);
  assert.equal(f.registry.require(TENANT, TIMELINE).flushLsn, wal.endLsn);
});

test('ProposerElected truncates at start_streaming_at, never below commit_lsn', async (t) => {
  const f = await fixture(t);
  const acceptor = f.connect();
  await one(acceptor, GREETING);
  await elect(acceptor, 1n);
  const wal = walOf([8192, 8192, 8192]);
  const committed = wal.records[0]!.endLsn;
  await acceptor.process([append(1n, START, wal.bytes, committed)]);
  const timeline = f.registry.require(TENANT, TIMELINE);
  assert.equal(timeline.flushLsn, wal.endLsn);

  const history = [
    { term: 1n, lsn: START },
    { term: 2n, lsn: wal.records[1]!.endLsn },
  ];
  const elected = {
    tag: 'elected',
    term: 2n,
    termHistory: history,
    timelineStartLsn: START,
  } as const;
  // Stale: a lower term than ours gets no answer and changes nothing.
  await one(acceptor, { tag: 'vote', term: 2n });
  assert.deepEqual(
    await acceptor.process([
      { ...elected, term: 1n, termHistory: [history[0]!], startStreamingAt: START },
    ]),
    [],
  );
  assert.equal(timeline.flushLsn, wal.endLsn);
  await assert.rejects(
    acceptor.process([{ ...elected, startStreamingAt: START }]),
    /below commit_lsn/,
  );
  await assert.rejects(
    acceptor.process([
      { ...elected, termHistory: [history[1]!, history[0]!], startStreamingAt: committed },
    ]),
    /not ordered/,
  );
  await assert.rejects(
    acceptor.process([
      {
        ...elected,
        termHistory: [{ term: 2n, lsn: START }],
        startStreamingAt: committed,
      },
    ]),
    /of term 1 here but of term 2/,
  );
  assert.equal(timeline.flushLsn, wal.endLsn, 'refusals leave the WAL alone');

  await acceptor.process([{ ...elected, startStreamingAt: wal.records[1]!.endLsn }]);
  assert.equal(timeline.flushLsn, wal.records[1]!.endLsn);
  const { state } = await readControlFile(join(f.dir, CONTROL_FILE_NAME));
  assert.deepEqual(state.acceptorState, { term: 2n, termHistory: history });
  assert.equal(state.timelineStartLsn, START);
});

function walOf(sizes: number[]): ReturnType<typeof makeTestWal> {
  return makeTestWal(START, sizes, MIB);
}
