// `neon_local wal push` against three real safekeepers: WAL committed by a quorum is
// byte-identical everywhere and readable by pg_waldump; a safekeeper killed mid-push does not
// stop the push and is caught up (within the push when it comes back, or by the next push);
// without a quorum the push exits 7 and nothing acknowledged is lost; WAL written by an old term
// that no quorum committed is truncated by the next term and every safekeeper converges.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { sleepMs } from '../../src/common/deadline.js';
import type { NodeId } from '../../src/common/ids.js';
import type { LocalCluster } from '../../src/index.js';
import { formatLsn } from '../../src/postgres/lsn.js';
import { runCli } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';
import { pgWaldumpRange } from '../helpers/pg-waldump.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import {
  assertIdenticalWal,
  lsn,
  pushInBackground,
  pushOk,
  segmentsOf,
  timelineDir,
  TIMELINE_REF,
  timelineStatus,
  waitForFlushBeyond,
  walBytes,
} from '../helpers/wal-push.js';

const SEGMENT_BYTES = 16 * 1024 * 1024;
const ALL = [1, 2, 3];

async function startCluster(t: Parameters<typeof makeTestCluster>[0]): Promise<LocalCluster> {
  const cluster = await makeTestCluster(t, { safekeepers: 3 });
  const started = await runCli(['start'], { repoDir: cluster.repoDir });
  assert.equal(started.exitCode, 0, started.stderr);
  return cluster;
}

/** A safekeeper whose flush_lsn reached `endLsn`. */
async function firstHolding(cluster: LocalCluster, endLsn: string): Promise<number> {
  for (const id of ALL) if ((await timelineStatus(cluster, id)).flush_lsn === endLsn) return id;
  assert.fail(`no safekeeper flushed up to ${endLsn}`);
}

async function sk(cluster: LocalCluster, action: string, id: number): Promise<void> {
  const result = await runCli(['sk', action, String(id)], { repoDir: cluster.repoDir });
  assert.equal(result.exitCode, 0, `sk ${action} ${id}: ${result.stderr}`);
}

test(
  '48 MiB pushed to three safekeepers: identical WAL, pg_waldump reads it, statuses agree',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await startCluster(t);
    const repoDir = cluster.repoDir;
    const first = await pushOk(repoDir, ['--size', '48MiB']);
    assert.equal(
      first.start_lsn,
      formatLsn(BigInt(SEGMENT_BYTES)),
      'a new timeline starts at segment 1',
    );
    assert.ok(lsn(first.end_lsn) - lsn(first.start_lsn) >= 48n * 1024n * 1024n);
    assert.equal(first.commit_lsn, first.end_lsn);
    for (const id of ALL) {
      const status = await timelineStatus(cluster, id);
      assert.equal(status.acceptor_state.term, first.term, `safekeeper ${id} term`);
      assert.equal(status.acceptor_state.epoch, first.term, `safekeeper ${id} epoch`);
      assert.equal(status.flush_lsn, first.end_lsn, `safekeeper ${id} flush_lsn`);
      assert.equal(status.commit_lsn, first.end_lsn, `safekeeper ${id} commit_lsn`);
    }
    const end = lsn(first.end_lsn);
    await assertIdenticalWal(cluster, ALL, lsn(first.start_lsn), end);
    // Whole segment files too: the zero tails past the end of WAL included.
    const names = [...(await segmentsOf(cluster, 1)).keys()];
    assert.equal(names.length, 4, `segments 1..4 expected, got ${names.join(', ')}`);
    for (const id of [2, 3]) {
      const segments = await segmentsOf(cluster, id);
      assert.deepEqual([...segments.keys()], names);
      for (const name of names)
        assert.ok(
          segments.get(name)?.equals((await segmentsOf(cluster, 1)).get(name) as Buffer),
          `${name} on ${id}`,
        );
    }
    const scratch = await makeTempDir(t);
    for (const id of ALL) {
      const listing = await pgWaldumpRange(
        timelineDir(cluster, id),
        lsn(first.start_lsn),
        end,
        join(scratch, `sk${id}`),
      );
      assert.match(listing, /LogicalMessage/);
    }

    // A second push continues the timeline in a new term, right where the first one ended.
    const second = await pushOk(repoDir, ['--size', '1MiB', '--record-size', '1000']);
    assert.equal(second.start_lsn, first.end_lsn);
    assert.equal(second.term, first.term + 1);
    await assertIdenticalWal(cluster, ALL, lsn(first.start_lsn), lsn(second.end_lsn));
    const history = (await timelineStatus(cluster, 2)).acceptor_state.term_history;
    assert.deepEqual(history, [
      { term: first.term, lsn: first.start_lsn },
      { term: second.term, lsn: second.start_lsn },
    ]);
  },
);

test(
  'a safekeeper killed mid-push: the push completes on two, the returning one is caught up',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await startCluster(t);
    const repoDir = cluster.repoDir;
    const running = pushInBackground(repoDir, ['--size', '48MiB', '--rate', '16MiB/s']);
    // A fresh timeline's WAL starts at its second segment: wait for WAL written past that.
    await waitForFlushBeyond(cluster, 3, BigInt(SEGMENT_BYTES));
    await sk(cluster, 'kill', 3);
    const pushed = await running;
    assert.equal(pushed.exitCode, 0, pushed.stderr);
    const first = (JSON.parse(pushed.stdout) as { result: unknown }).result as {
      end_lsn: string;
      start_lsn: string;
    };
    // Killed early in a 3-second push: safekeeper 3 holds only the beginning.
    await sk(cluster, 'start', 3);
    const behind = await timelineStatus(cluster, 3);
    assert.ok(lsn(behind.flush_lsn) < lsn(first.end_lsn), `safekeeper 3 at ${behind.flush_lsn}`);

    // The next push brings it up to date first.
    const second = await pushOk(repoDir, ['--size', '1MiB']);
    for (const id of ALL)
      assert.equal((await timelineStatus(cluster, id)).flush_lsn, second.end_lsn);
    await assertIdenticalWal(cluster, ALL, lsn(first.start_lsn), lsn(second.end_lsn));

    // A safekeeper that comes back during a push is caught up by that push (6 s long: a
    // restart on a loaded machine took over 2 s and left too little of a 4 s push).
    const third = pushInBackground(repoDir, ['--size', '48MiB', '--rate', '8MiB/s']);
    await waitForFlushBeyond(cluster, 2, lsn(second.end_lsn));
    await sk(cluster, 'kill', 2);
    await sleepMs(700);
    await sk(cluster, 'start', 2);
    const done = await third;
    assert.equal(done.exitCode, 0, done.stderr);
    const end = ((JSON.parse(done.stdout) as { result: unknown }).result as { end_lsn: string })
      .end_lsn;
    for (const id of ALL)
      assert.equal((await timelineStatus(cluster, id)).flush_lsn, end, `safekeeper ${id}`);
    await assertIdenticalWal(cluster, ALL, lsn(first.start_lsn), lsn(end));
  },
);

test(
  'two of three killed: the push exits 7; after restart nothing acknowledged is lost',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await startCluster(t);
    const repoDir = cluster.repoDir;
    const first = await pushOk(repoDir, ['--size', '8MiB']);
    // What the quorum acknowledged, as a safekeeper that flushed all of it holds it.
    const holder = await firstHolding(cluster, first.end_lsn);
    const acknowledged = walBytes(
      await segmentsOf(cluster, holder),
      lsn(first.start_lsn),
      lsn(first.end_lsn),
    );

    // 40 MiB at 8 MiB/s could finish within the 6 s (a rate that could not is refused at once):
    // it stops short only because the quorum goes.
    const running = pushInBackground(repoDir, [
      '--size',
      '40MiB',
      '--rate',
      '8MiB/s',
      '--timeout',
      '6s',
    ]);
    await waitForFlushBeyond(cluster, 2, lsn(first.end_lsn));
    await waitForFlushBeyond(cluster, 3, lsn(first.end_lsn));
    await sk(cluster, 'kill', 2);
    await sk(cluster, 'kill', 3);
    const stalled = await running;
    assert.equal(stalled.exitCode, 7, stalled.stdout + stalled.stderr);
    const error = (JSON.parse(stalled.stdout) as { error: unknown }).error as {
      code: string;
      message: string;
    };
    assert.equal(error.code, 'timed-out');
    assert.match(error.message, /quorum/);

    await sk(cluster, 'start', 2);
    await sk(cluster, 'start', 3);
    const third = await pushOk(repoDir, ['--size', '4MiB']);
    assert.ok(lsn(third.start_lsn) >= lsn(first.end_lsn));
    for (const id of ALL) {
      const segments = await segmentsOf(cluster, id);
      assert.ok(
        walBytes(segments, lsn(first.start_lsn), lsn(first.end_lsn)).equals(acknowledged),
        `acknowledged WAL changed on safekeeper ${id}`,
      );
      assert.equal((await timelineStatus(cluster, id)).commit_lsn, third.end_lsn);
    }
    await assertIdenticalWal(cluster, ALL, lsn(first.start_lsn), lsn(third.end_lsn));
    const scratch = await makeTempDir(t);
    await pgWaldumpRange(
      timelineDir(cluster, 2),
      lsn(first.start_lsn),
      lsn(third.end_lsn),
      scratch,
    );
  },
);

test(
  'WAL of an old term that no quorum committed is truncated by the next term',
  { timeout: 180_000 },
  async (t) => {
    const cluster = await startCluster(t);
    const repoDir = cluster.repoDir;
    const first = await pushOk(repoDir, ['--size', '2MiB']);

    // Safekeepers 2 and 3 freeze mid-push: what follows reaches safekeeper 1 only.
    const running = pushInBackground(repoDir, [
      '--size',
      '20MiB',
      '--rate',
      '4MiB/s',
      '--timeout',
      '6s',
    ]);
    await waitForFlushBeyond(cluster, 2, lsn(first.end_lsn));
    await waitForFlushBeyond(cluster, 3, lsn(first.end_lsn));
    await sk(cluster, 'pause', 2);
    await sk(cluster, 'pause', 3);
    const stalled = await running;
    assert.equal(stalled.exitCode, 7, stalled.stderr);
    const lonely = lsn((await timelineStatus(cluster, 1)).flush_lsn);

    // Safekeeper 1 goes away; 2 and 3 elect a new term and write different WAL past their end.
    await sk(cluster, 'kill', 1);
    await sk(cluster, 'resume', 2);
    await sk(cluster, 'resume', 3);
    const third = await pushOk(repoDir, ['--size', '4MiB', '--record-size', '4000']);
    const diverged = lsn(third.start_lsn);
    assert.ok(
      lonely > diverged,
      `safekeeper 1 (${formatLsn(lonely)}) must be ahead of ${third.start_lsn}`,
    );
    assert.deepEqual(
      third.safekeepers.map((entry) => [entry.id, entry.missing]),
      [
        [1, 'not running'],
        [2, null],
        [3, null],
      ],
      'the result names the safekeeper the quorum went on without',
    );
    await sk(cluster, 'start', 1);
    assert.equal((await timelineStatus(cluster, 1)).flush_lsn, formatLsn(lonely));
    const compareEnd = lonely < lsn(third.end_lsn) ? lonely : lsn(third.end_lsn);
    const before = walBytes(await segmentsOf(cluster, 1), diverged, compareEnd);
    const theirs = walBytes(await segmentsOf(cluster, 2), diverged, compareEnd);
    assert.ok(!before.equals(theirs), 'the WAL past the new term start differs (diverged)');

    // The next term truncates safekeeper 1 at the divergence point and everyone converges.
    const fourth = await pushOk(repoDir, ['--size', '1MiB']);
    for (const id of ALL) {
      const status = await timelineStatus(cluster, id);
      assert.equal(status.flush_lsn, fourth.end_lsn, `safekeeper ${id}`);
      assert.equal(status.acceptor_state.epoch, fourth.term);
    }
    await assertIdenticalWal(cluster, ALL, lsn(first.start_lsn), lsn(fourth.end_lsn));
    assert.deepEqual(
      fourth.safekeepers.map((entry) => [entry.id, entry.flush_lsn, entry.missing]),
      ALL.map((id) => [id, fourth.end_lsn, null]),
    );

    // A paused safekeeper: the push goes on with the others and says which one lacks the WAL.
    await sk(cluster, 'pause', 3);
    const fifth = await runCli(['wal', 'push', TIMELINE_REF, '--size', '1MiB'], { repoDir });
    await sk(cluster, 'resume', 3);
    assert.equal(fifth.exitCode, 0, fifth.stderr);
    assert.match(
      fifth.stdout,
      /^safekeeper 3 does not have all of it: paused \(SIGSTOP\): it answered nothing$/m,
    );
    const log = await readFile(cluster.layout.safekeeper(1 as NodeId).logFile, 'utf8');
    assert.match(log, /truncating WAL for a new term/);
    const scratch = await makeTempDir(t);
    await pgWaldumpRange(
      timelineDir(cluster, 1),
      lsn(first.start_lsn),
      lsn(fourth.end_lsn),
      scratch,
    );
  },
);
