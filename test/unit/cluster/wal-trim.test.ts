// What `sk timeline trim` exits with: a partial answer (exit 6) keeps the answering
// safekeepers' unblock hints beside the one about the silent safekeeper; with every safekeeper
// answering and nothing removable, exit 5 names each blocker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SafekeeperAnswer } from '../../../src/cluster/safekeeper-fanout.js';
import {
  trimProblem,
  type SafekeeperTrim,
  type TrimResult,
} from '../../../src/cluster/wal-trim.js';
import { parseNodeId } from '../../../src/common/ids.js';

const CHECKPOINT = 'neon_local pageserver checkpoint t/l --wait';

function blocked(id: number): SafekeeperTrim {
  return {
    id: parseNodeId(String(id)),
    removable: null,
    removed: null,
    horizon_lsn: '0/1000000',
    blocked_by: 'the pageserver (remote_consistent_lsn 0/1000000)',
    unblock: CHECKPOINT,
    pinned_bytes: 3 * 1024 * 1024,
  };
}

function result(
  safekeepers: SafekeeperTrim[],
  failures: SafekeeperAnswer<unknown>[] = [],
): TrimResult {
  return { tenant_id: 't', timeline_id: 'l', dry_run: false, safekeepers, failures };
}

const paused3: SafekeeperAnswer<unknown> = {
  id: parseNodeId('3'),
  state: 'not-responding',
  paused: true,
  error: { code: 'timed-out', message: 'safekeeper 3: not responding' },
};

test('a paused safekeeper: exit 6, and the others still say what holds them back', () => {
  const problem = trimProblem(result([blocked(1), blocked(2)], [paused3]));
  assert.equal(problem?.exitCode, 6);
  assert.match(problem.message, /safekeeper 3: paused/);
  assert.deepEqual(problem.hints, [
    'Resume safekeeper 3 with `neon_local sk resume 3`.',
    `Run \`${CHECKPOINT}\`.`,
  ]);
});

test('everyone answered, nothing removable: exit 5 naming each blocker, one hint per command', () => {
  const problem = trimProblem(result([blocked(1), blocked(2)]));
  assert.equal(problem?.exitCode, 5);
  assert.match(problem.message, /^nothing to trim: safekeeper 1: held back by the pageserver/);
  assert.deepEqual(problem.hints, [`Run \`${CHECKPOINT}\`.`]);
});

test('something removed somewhere: no error; a safekeeper with nothing left to remove is none', () => {
  const removed = {
    ...blocked(1),
    removable: { first: 'a', last: 'b', count: 2, bytes: 2 },
    removed: { first: 'a', last: 'b', count: 2, bytes: 2 },
    blocked_by: null,
    unblock: null,
  };
  assert.equal(trimProblem(result([removed, blocked(2)])), undefined);
  const done = { ...blocked(1), blocked_by: 'nothing', unblock: null, pinned_bytes: 0 };
  assert.equal(trimProblem(result([done])), undefined);
});
