// How a partial answer is put in words and which exit code it gets: safekeepers with the same
// problem named together, the "safekeeper N: " of the client's messages not repeated, exit 6
// when one did not answer at all, the API error's own code when every one answered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  describeFailures,
  partialAnswerError,
  type SafekeeperAnswer,
} from '../../../src/cluster/safekeeper-fanout.js';
import { parseNodeId } from '../../../src/common/ids.js';

const answer = (
  id: number,
  fields: Partial<SafekeeperAnswer<unknown>>,
): SafekeeperAnswer<unknown> => ({
  id: parseNodeId(String(id)),
  state: 'ok',
  paused: false,
  ...fields,
});
const exists = (id: number): SafekeeperAnswer<unknown> =>
  answer(id, {
    state: 'error',
    error: { code: 'wrong-state', message: `safekeeper ${id}: timeline t already exists` },
  });

test('failures are grouped and named once', () => {
  const answers = [
    answer(1, {}),
    exists(2),
    exists(3),
    answer(4, {
      state: 'down',
      error: { code: 'unavailable', message: 'safekeeper 4: not running' },
    }),
    answer(5, {
      state: 'not-responding',
      paused: true,
      error: { code: 'timed-out', message: 'x' },
    }),
    answer(6, { state: 'not-responding', error: { code: 'timed-out', message: 'x' } }),
  ];
  assert.equal(
    describeFailures(answers),
    'safekeeper 2, 3: timeline t already exists; safekeeper 4: down; safekeeper 5: paused; safekeeper 6: not responding',
  );
  assert.equal(describeFailures([answer(1, {})]), '');
});

test('a partial answer is exit 6 unless every safekeeper answered', () => {
  assert.equal(partialAnswerError([answer(1, {}), answer(2, {})], 'listing'), undefined);
  const conflict = partialAnswerError([exists(1), exists(2)], 'creating timeline t');
  assert.equal(conflict?.code, 'wrong-state');
  assert.equal(conflict.exitCode, 5);
  assert.equal(conflict.message, 'creating timeline t: safekeeper 1, 2: timeline t already exists');
  const paused = partialAnswerError(
    [
      answer(1, {}),
      answer(2, {
        state: 'not-responding',
        paused: true,
        error: { code: 'timed-out', message: 'x' },
      }),
    ],
    'listing timelines',
  );
  assert.equal(paused?.exitCode, 6);
  assert.deepEqual(paused.hints, ['Resume safekeeper 2 with `neon_local sk resume 2`.']);
  const down = partialAnswerError(
    [
      exists(1),
      answer(3, { state: 'down', error: { code: 'unavailable', message: 'not running' } }),
    ],
    'creating timeline t',
  );
  assert.equal(down?.exitCode, 6, 'a safekeeper that did not answer outweighs an API error');
  assert.deepEqual(down.hints, ['Start safekeeper 3 with `neon_local sk start 3`.']);
});

test('the pageserver joins the partial answer: one message, every hint, exit 6', async () => {
  const { clusterAnswerError } = await import('../../../src/cluster/pageserver-ops.js');
  const { RepoLayout } = await import('../../../src/cluster/repo-layout.js');
  const set = { config: {} as never, layout: new RepoLayout('/repo') };
  const down = answer(2, {
    state: 'down',
    error: { code: 'unavailable', message: 'safekeeper 2: not running' },
  });
  const paused = {
    state: 'not-responding',
    paused: true,
    error: { code: 'timed-out', message: 'the pageserver: paused (SIGSTOP)' },
  } as const;
  const both = clusterAnswerError(set, 'listing timelines', [answer(1, {}), down], paused);
  assert.equal(both?.message, 'listing timelines: safekeeper 2: down; the pageserver: paused');
  assert.equal(both?.exitCode, 6);
  assert.deepEqual(both?.hints, [
    'Start safekeeper 2 with `neon_local sk start 2`.',
    'The pageserver was stopped with SIGSTOP: send it SIGCONT (`kill -CONT $(cat /repo/pageserver/pageserver.pid)`).',
  ]);
  const onlyPageserver = clusterAnswerError(set, 'listing timelines', [answer(1, {})], {
    state: 'error',
    paused: false,
    error: { code: 'integrity', message: 'the pageserver: corrupt state file' },
  });
  assert.equal(onlyPageserver?.message, 'listing timelines: the pageserver: corrupt state file');
  assert.equal(onlyPageserver?.exitCode, 8);
  assert.equal(clusterAnswerError(set, 'x', [answer(1, {})], undefined), undefined);
  assert.equal(
    clusterAnswerError(set, 'x', [answer(1, {})], { state: 'ok', paused: false }),
    undefined,
  );
});
