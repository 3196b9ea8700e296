// The WAL service under fuzzing: one real safekeeper holding a timeline with 2 MiB of committed
// WAL gets at least 10,000 random, malformed and out-of-order frames over short connections.
// Each must end in an ErrorResponse and/or a closed connection (a stale term gets a reply that
// moves nothing); between batches the daemon still serves; at the end no file and no timeline
// field changed. Smaller tests pin the wire basics. WAL_FUZZ_SEED replays a run's cases.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { pollUntil } from '../../src/common/deadline.js';
import { formatLsn, parseLsn } from '../../src/postgres/lsn.js';
import { decodeDataRow } from '../../src/postgres/wire/backend-messages.js';
import { decodeErrorResponse } from '../../src/postgres/wire/error-response.js';
import {
  encodeCopyData,
  encodeQuery,
  encodeStartupMessage,
} from '../../src/postgres/wire/frontend-messages.js';
import { WireClient, WireServerError } from '../../src/postgres/wire/wire-client.js';
import { encodeProposerMessage } from '../../src/protocol/proposer-codec.js';
import { snapshotDataDir } from '../helpers/data-dir-snapshot.js';
import {
  assertServing,
  expectedIdentifyRow,
  fuzzTarget,
  identifySystem,
  pushCommittedWal,
  settledStatus,
  TENANT,
  TIMELINE,
  TIMELINE_PARAMETERS,
  timelineStatus,
} from '../helpers/fuzzed-safekeeper.js';
import type { TimelineStatus } from '../../src/protocol/timeline-status.js';
import { RawConnection } from '../helpers/raw-wire-connection.js';
import { startTestSafekeeper, type RunningSafekeeper } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { FUZZ_CATEGORIES, generateFuzzCases } from '../helpers/wire-fuzz-cases.js';
import {
  correctGreeting,
  sslRequest,
  validStartup,
  walPushPrefix,
  type FuzzTarget,
} from '../helpers/wire-fuzz-frames.js';
import { describeFailedCase, runFuzzCases, type CaseResult } from '../helpers/wire-fuzz-runner.js';

const FUZZ_CASES_MIN = 10_000;
const BATCH_CASES = 1_000;
const CONCURRENCY = 16;
const CASE_TIMEOUT_MS = 5_000;
const FAILURES_MAX = 50;
const RUN_LIMITS = {
  concurrency: CONCURRENCY,
  caseTimeoutMs: CASE_TIMEOUT_MS,
  failuresMax: FAILURES_MAX,
};
const SETTLE_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 50;

/** WAL_FUZZ_SEED replays a run; otherwise every run explores new bytes (the seed is printed). */
function fuzzSeed(): number {
  const text = process.env.WAL_FUZZ_SEED;
  if (text === undefined || text === '') return randomInt(2 ** 31);
  assert.match(text, /^\d+$/, `WAL_FUZZ_SEED must be a non-negative integer, got "${text}"`);
  return Number(text) >>> 0;
}

/** WAL_FUZZ_CASES runs more cases (never fewer than the acceptance minimum). */
function fuzzCaseCount(): number {
  const requested = Number(process.env.WAL_FUZZ_CASES ?? FUZZ_CASES_MIN);
  return Number.isSafeInteger(requested) ? Math.max(requested, FUZZ_CASES_MIN) : FUZZ_CASES_MIN;
}

/** One diagnostic line per category and one for the SQLSTATEs seen. */
function reportResults(t: TestContext, results: readonly CaseResult[]): void {
  const byCategory = new Map<string, Map<string, number>>();
  const sqlStates = new Map<string, number>();
  for (const { fuzzCase, outcome } of results) {
    const kinds = byCategory.get(fuzzCase.category) ?? new Map<string, number>();
    byCategory.set(fuzzCase.category, kinds);
    kinds.set(fuzzCase.expect.kind, (kinds.get(fuzzCase.expect.kind) ?? 0) + 1);
    for (const state of outcome?.sqlStates ?? [])
      sqlStates.set(state, (sqlStates.get(state) ?? 0) + 1);
  }
  for (const [category, kinds] of byCategory) {
    const total = [...kinds.values()].reduce((sum, count) => sum + count, 0);
    const shown = [...kinds].map(([kind, count]) => `${count} ${kind}`).join(', ');
    t.diagnostic(`${category}: ${total} cases (${shown})`);
  }
  t.diagnostic(
    `SQLSTATEs: ${[...sqlStates].map(([state, count]) => `${state} x${count}`).join(', ')}`,
  );
}

/** The safekeeper with its pushed timeline, as it was before any fuzz case. */
interface Fixture {
  readonly sk: RunningSafekeeper;
  readonly dataDir: string;
  readonly before: TimelineStatus;
  readonly snapshot: ReadonlyMap<string, string>;
  readonly target: FuzzTarget;
}

async function prepareFixture(t: TestContext): Promise<Fixture> {
  const dataDir = await makeTempDir(t);
  // A short save interval: an in-memory LSN moved by a case would soon reach the control file.
  const sk = await startTestSafekeeper(t, dataDir, [
    '--no-sync',
    '--control-file-save-interval',
    '100ms',
  ]);
  const endLsn = await pushCommittedWal(sk.pgPort);
  const before = await settledStatus(sk);
  assert.equal(before.flush_lsn, formatLsn(endLsn));
  assert.equal(before.write_lsn, before.flush_lsn);
  assert.equal(before.commit_lsn, before.flush_lsn, 'all the WAL is committed');
  const target = fuzzTarget(before);
  await assertServing(sk, target);
  return { sk, dataDir, before, snapshot: await snapshotDataDir(dataDir), target };
}

async function fuzzTheService(t: TestContext, { sk, target }: Fixture): Promise<void> {
  const seed = fuzzSeed();
  t.diagnostic(`seed ${seed}: WAL_FUZZ_SEED=${seed} replays these cases`);
  const cases = generateFuzzCases(seed, target, fuzzCaseCount());
  // Every category and every kind of expected answer is among the generated cases.
  for (const category of Object.keys(FUZZ_CATEGORIES))
    assert.ok(
      cases.some((fuzzCase) => fuzzCase.category === category),
      `${category} has cases`,
    );
  for (const kind of ['fatal', 'error', 'incomplete', 'reply'])
    assert.ok(
      cases.some((fuzzCase) => fuzzCase.expect.kind === kind),
      `some cases expect ${kind}`,
    );
  const startedMs = performance.now();
  const results: CaseResult[] = [];
  for (let from = 0; from < cases.length; from += BATCH_CASES) {
    const batch = cases.slice(from, from + BATCH_CASES);
    results.push(...(await runFuzzCases(sk.pgPort, batch, RUN_LIMITS)));
    if (results.some((result) => result.failure !== undefined)) break;
    await assertServing(sk, target);
  }
  const seconds = (performance.now() - startedMs) / 1000;
  t.diagnostic(`${results.length} cases in ${seconds.toFixed(1)} s`);
  reportResults(t, results);
  const failed = results.filter((result) => result.failure !== undefined);
  const shown = (list: CaseResult[]): string =>
    list.slice(0, 20).map(describeFailedCase).join('\n');
  assert.equal(
    failed.length,
    0,
    `${failed.length} cases failed (WAL_FUZZ_SEED=${seed}):\n${shown(failed)}`,
  );
  assert.equal(results.length, cases.length, 'every generated case ran');
  const internal = results.filter((result) => result.outcome?.sqlStates.includes('XX000'));
  assert.equal(internal.length, 0, `internal errors (WAL_FUZZ_SEED=${seed}):\n${shown(internal)}`);
}

async function unsupportedCommandKeepsConnection(t: TestContext, fixture: Fixture): Promise<void> {
  const { sk, before, target } = fixture;
  const client = await WireClient.connect({
    host: '127.0.0.1',
    port: sk.pgPort,
    parameters: TIMELINE_PARAMETERS,
    connectTimeoutMs: CASE_TIMEOUT_MS,
  });
  t.after(() => client.destroy());
  const isError = (sqlState: string) => (error: unknown) =>
    error instanceof WireServerError && error.severity === 'ERROR' && error.sqlState === sqlState;
  await assert.rejects(client.simpleQuery('SELECT 1'), isError('0A000'));
  const identified = [expectedIdentifyRow(target)];
  assert.deepEqual((await client.simpleQuery('IDENTIFY_SYSTEM')).rows, identified);
  // A start beyond the end of WAL is refused before any CopyBothResponse.
  const beyond = formatLsn(parseLsn(before.flush_lsn) + 1n);
  const replication = `START_REPLICATION ${beyond}`;
  await assert.rejects(client.simpleQuery(replication), isError('08P01'));
  assert.deepEqual((await client.simpleQuery('IDENTIFY_SYSTEM')).rows, identified);
  client.close();
}

async function startupAfterSslRequest(t: TestContext, { sk, target }: Fixture): Promise<void> {
  const connection = await RawConnection.open(sk.pgPort);
  t.after(() => connection.destroy());
  connection.write(sslRequest());
  assert.equal((await connection.readBytes(1, CASE_TIMEOUT_MS)).toString(), 'N');
  connection.write(validStartup(target));
  const startup = await connection.readUntil('Z', CASE_TIMEOUT_MS);
  assert.equal(startup[0]?.type, 'R', 'AuthenticationOk first');
  connection.write(encodeQuery('IDENTIFY_SYSTEM'));
  const answer = await connection.readUntil('Z', CASE_TIMEOUT_MS);
  assert.equal(answer.map((message) => message.type).join(''), 'TDCZ');
  const row = decodeDataRow(answer[1]?.body ?? Buffer.alloc(0));
  assert.deepEqual(
    row.map((value) => value?.toString() ?? null),
    expectedIdentifyRow(target),
  );
}

async function startupWithoutTimeline(t: TestContext, { sk }: Fixture): Promise<void> {
  const connection = await RawConnection.open(sk.pgPort);
  t.after(() => connection.destroy());
  connection.write(encodeStartupMessage({ application_name: 'no-timeline', user: 'x' }));
  const [error] = await connection.readUntil('E', CASE_TIMEOUT_MS);
  const decoded = decodeErrorResponse(error?.body ?? Buffer.alloc(0));
  assert.equal(decoded.severity, 'FATAL');
  assert.equal(decoded.sqlState, '08P01');
  assert.match(decoded.message, /ztenantid/);
  await connection.waitClosed(CASE_TIMEOUT_MS);
}

async function timelineInOptions({ sk, target }: Fixture): Promise<void> {
  const options = `-c ztenantid=${TENANT} -c ztimelineid=${TIMELINE}`;
  assert.deepEqual(await identifySystem(sk, { options }), [expectedIdentifyRow(target)]);
  const plain = { tenant_id: TENANT, timeline_id: TIMELINE };
  assert.deepEqual(await identifySystem(sk, plain), [expectedIdentifyRow(target)]);
}

async function nothingChanged({ sk, dataDir, before, snapshot, target }: Fixture): Promise<void> {
  const after = await pollUntil(
    async () => {
      const status = await timelineStatus(sk);
      return isDeepStrictEqual(status, before) ? status : undefined;
    },
    { timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: POLL_INTERVAL_MS },
  );
  assert.deepEqual(after ?? (await timelineStatus(sk)), before);
  assert.deepEqual(await snapshotDataDir(dataDir), snapshot);
  await assertServing(sk, target);
  assert.doesNotMatch(sk.output(), /"level":"(error|fatal)"/);
}

/** The defect reported with this test: the term is persisted before the message is checked. */
async function refusedElectionKeepsTerm(
  t: TestContext,
  { sk, before, target }: Fixture,
): Promise<void> {
  const connection = await RawConnection.open(sk.pgPort);
  t.after(() => connection.destroy());
  const elected = encodeProposerMessage({
    tag: 'elected',
    term: target.term + 1n,
    startStreamingAt: target.flushLsn,
    termHistory: [],
    timelineStartLsn: 0n,
  });
  const greeted = [walPushPrefix(target), correctGreeting(target)];
  connection.write(Buffer.concat([...greeted, encodeCopyData(elected)]));
  const messages = await connection.readUntil('E', CASE_TIMEOUT_MS);
  const decoded = decodeErrorResponse(messages.at(-1)?.body ?? Buffer.alloc(0));
  assert.equal(decoded.severity, 'FATAL');
  assert.match(decoded.message, /empty term history/);
  await connection.waitClosed(CASE_TIMEOUT_MS);
  assert.equal((await timelineStatus(sk)).acceptor_state.term, before.acceptor_state.term);
}

test(
  'the WAL service under fuzzing: errors or closes, keeps serving, changes nothing',
  { timeout: 300_000 },
  async (t) => {
    const fixture = await prepareFixture(t);
    await t.test(`at least ${FUZZ_CASES_MIN} malformed, random or out-of-order frames`, (t) =>
      fuzzTheService(t, fixture),
    );
    await t.test('an unsupported command gets ERROR and the connection stays usable', (t) =>
      unsupportedCommandKeepsConnection(t, fixture),
    );
    await t.test("SSLRequest is answered 'N' and the startup continues on the same socket", (t) =>
      startupAfterSslRequest(t, fixture),
    );
    await t.test('a startup without the timeline parameters gets FATAL 08P01 and a close', (t) =>
      startupWithoutTimeline(t, fixture),
    );
    await t.test("options='-c ztenantid=.. -c ztimelineid=..' names the timeline", () =>
      timelineInOptions(fixture),
    );
    await t.test('a refused ProposerElected of a higher term leaves the term alone', (t) =>
      refusedElectionKeepsTerm(t, fixture),
    );
    await t.test('afterwards: the same files, the same timeline status, the daemon alive', () =>
      nothingChanged(fixture),
    );
  },
);
