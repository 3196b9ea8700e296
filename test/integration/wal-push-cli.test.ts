// `wal push` as a user meets it when things are wrong: the cluster stopped (exit 6 in a few
// lines, not a retry per safekeeper per attempt), a TENANT/TIMELINE nobody knows (exit 4 unless
// --create), a --rate that cannot finish within --timeout (exit 7 before connecting), a zero
// timeout and decimal size units (usage errors); then, with one safekeeper killed, one line
// for its going down and the streaming rate reported apart from the wait for a quorum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, runCliJson } from '../helpers/cli.js';
import { makeTestCluster } from '../helpers/cluster.js';

const TENANT = '9630a1b2c3d4e5f6a7b8c9d0e1f2812c';
const TIMELINE = '00000000000000000000000000000001';
const REF = `${TENANT}/${TIMELINE}`;

interface PushJson {
  readonly bytes: number;
  readonly quorum_wait_ms: number;
  readonly streaming_ms: number;
  readonly mib_per_second: number;
}

test('wal push when things are wrong', { timeout: 120_000 }, async (t) => {
  const cluster = await makeTestCluster(t, { safekeepers: 3 });
  const repoDir = cluster.repoDir;

  const stopped = await runCli(['wal', 'push', REF, '--size', '1MiB', '--timeout', '3s'], {
    repoDir,
  });
  assert.equal(stopped.exitCode, 6, stopped.stderr);
  assert.match(stopped.stderr, /no safekeeper of the cluster is running/);
  assert.match(stopped.stderr, /neon_local start/);
  assert.ok(stopped.stderr.trim().split('\n').length <= 3, stopped.stderr);

  for (const [args, exitCode, pattern] of [
    [
      ['--size', '64MiB', '--rate', '1MiB/s', '--timeout', '3s'],
      7,
      /takes 64s, longer than the timeout of 3s/,
    ],
    [['--timeout', '0'], 2, /invalid --timeout "0"/],
    [['--size', '64mb'], 2, /sizes are binary, write 64MiB/],
  ] as const) {
    const begunAt = performance.now();
    const refused = await runCliJson(['wal', 'push', REF, ...args], { repoDir });
    assert.equal(refused.exitCode, exitCode, args.join(' '));
    assert.match(refused.body.error?.message ?? '', pattern);
    assert.ok(performance.now() - begunAt < 10_000, 'refused before any push is tried');
  }

  assert.equal((await runCli(['start'], { repoDir })).exitCode, 0);
  const unknown = await runCliJson(['wal', 'push', REF, '--size', '1MiB'], { repoDir });
  assert.equal(unknown.exitCode, 4, JSON.stringify(unknown.body));
  assert.match(unknown.body.error?.message ?? '', /is not on any safekeeper that answered/);
  assert.ok(unknown.body.error?.hints.some((hint) => hint.includes('--create')));
  const listed = await runCliJson<unknown[]>(['sk', 'timeline', 'list'], { repoDir });
  assert.equal(JSON.stringify(listed.body.result).includes(TIMELINE), false, 'nothing was created');

  const created = await runCliJson<PushJson>(['wal', 'push', REF, '--size', '1MiB', '--create'], {
    repoDir,
  });
  assert.equal(created.exitCode, 0, JSON.stringify(created.body));
  assert.ok((created.body.result?.bytes ?? 0) >= 1024 * 1024, 'the timeline was made by the push');

  assert.equal((await runCli(['sk', 'kill', '3'], { repoDir })).exitCode, 0);
  const degraded = await runCli(['wal', 'push', TIMELINE, '--size', '4MiB'], { repoDir });
  assert.equal(degraded.exitCode, 0, degraded.stderr);
  const downLines = degraded.stderr.split('\n').filter((line) => line.includes('safekeeper 3'));
  assert.equal(downLines.length, 1, degraded.stderr);
  assert.match(downLines[0] ?? '', /safekeeper 3 is down/);
  assert.match(degraded.stdout, /^pushed 4\.0 MiB of WAL to /m);
  assert.match(
    degraded.stdout,
    /^streamed at [\d.]+ MiB\/s in \S+ after \S+ waiting for a quorum$/m,
  );
  const json = await runCliJson<PushJson>(['wal', 'push', TIMELINE, '--size', '2MiB'], { repoDir });
  assert.equal(json.exitCode, 0);
  const result = json.body.result;
  assert.ok(result);
  assert.equal(result.bytes >= 2 * 1024 * 1024, true);
  assert.ok(result.quorum_wait_ms >= 0 && result.streaming_ms > 0);
  assert.equal(json.stderr, '', 'no progress or events with --json');
});
