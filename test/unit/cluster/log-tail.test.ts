// The text form of a failure with a log tail (cause, `last lines of FILE:`, raw lines): what
// appendLogTail writes, splitLogTail reads back, and nothing else is mistaken for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appendLogTail, splitLogTail } from '../../../src/cluster/log-tail.js';

const FILE = '/tmp/repo/safekeepers/sk2/safekeeper.log';

test('appendLogTail puts the cause first and splitLogTail reads the parts back', () => {
  const lines = ['{"level":"error","msg":"could not start safekeeper"}', 'plain: a; b'];
  const message = appendLogTail('could not start sk2: exited with code 1', FILE, lines);
  assert.equal(
    message,
    `could not start sk2: exited with code 1\nlast lines of ${FILE}:\n${lines.join('\n')}`,
  );
  assert.deepEqual(splitLogTail(message), {
    cause: 'could not start sk2: exited with code 1',
    file: FILE,
    lines,
  });
});

test('an empty log is said so, as one line', () => {
  const message = appendLogTail('could not start etcd: exited with code 2', FILE, []);
  assert.deepEqual(splitLogTail(message)?.lines, ['(log is empty)']);
});

test('splitLogTail leaves other messages alone', () => {
  const table = [
    'could not start: port 5454 (sk1 pg) is in use by pid 42 (node)',
    'one\ntwo\nthree',
    `cause\nlast lines of ${FILE}:`,
    `cause\nlast lines of ${FILE}\nline`,
    '',
  ];
  for (const message of table) assert.equal(splitLogTail(message), undefined, message);
});
