// A failed start as people see it: the cause first, then the log header, then the tail lines
// rendered and indented; the error keeps its code, exit code and hints. Other errors pass as is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStartFailure } from '../../../src/cli/ui/start-failure-view.js';
import { appendLogTail } from '../../../src/cluster/log-tail.js';
import { AppError, isAppError } from '../../../src/common/errors.js';

const FILE = '/tmp/repo/safekeepers/sk2/safekeeper.log';

test('the tail is rendered under the cause; code, exit code and hints are kept', async () => {
  const raw = new AppError(
    'timed-out',
    appendLogTail('could not start sk2: not ready in time (connection refused)', FILE, [
      '{"level":"warn","time":"2026-12-01T12:26:02.588Z","component":"safekeeper","node":2,"msg":"slow disk","fsyncMs":812}',
      'a plain line',
    ]),
    { hints: ['Try a longer --timeout.'] },
  );
  const shown = await renderStartFailure(raw, false);
  assert.ok(isAppError(shown));
  assert.equal(
    shown.message,
    [
      'could not start sk2: not ready in time (connection refused)',
      `last lines of ${FILE}:`,
      '  2026-12-01 12:26:02.588 WARN: safekeeper 2: slow disk fsyncMs=812',
      '  a plain line',
    ].join('\n'),
  );
  assert.deepEqual(
    [shown.code, shown.exitCode, shown.hints, shown.cause],
    [raw.code, raw.exitCode, raw.hints, raw],
  );
});

test('errors without a log tail, and non-AppErrors, are returned unchanged', async () => {
  const portError = new AppError('port-in-use', 'could not start: port 1 (sk1 pg) is in use');
  assert.equal(await renderStartFailure(portError, false), portError);
  const other = new Error('last lines of x:\nnot an AppError');
  assert.equal(await renderStartFailure(other, false), other);
});
