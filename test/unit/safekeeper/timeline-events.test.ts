// Timeline change events: subscribers hear what advanced (never a fall, never a no-change),
// waitFor resolves at the target without polling, and abort or close reject the waiters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '../../../src/common/errors.js';
import {
  TimelineEvents,
  type TimelineChange,
  type TimelineLsns,
} from '../../../src/safekeeper/timeline/timeline-events.js';

const ZERO: TimelineLsns = {
  flushLsn: 0n,
  commitLsn: 0n,
  backupLsn: 0n,
  peerHorizonLsn: 0n,
  remoteConsistentLsn: 0n,
};

/** A timeline's LSNs as the events read them, and a step that changes them and publishes. */
function fakeTimeline() {
  let now: TimelineLsns = ZERO;
  let reads = 0;
  const events = new TimelineEvents(() => {
    reads++;
    return now;
  });
  const step = (next: Partial<TimelineLsns>): void => {
    now = { ...ZERO, ...next };
    events.publish();
  };
  return { events, step, reads: () => reads };
}

test('subscribers hear which LSNs advanced, and only advances', () => {
  const { events, step } = fakeTimeline();
  const heard: TimelineChange[] = [];
  const unsubscribe = events.subscribe((change) => heard.push(change));
  step({ flushLsn: 100n, commitLsn: 50n });
  step({ flushLsn: 100n, commitLsn: 50n });
  step({ flushLsn: 80n, commitLsn: 50n, remoteConsistentLsn: 10n });
  step({ flushLsn: 40n, commitLsn: 50n, remoteConsistentLsn: 10n });
  unsubscribe();
  step({ flushLsn: 900n });
  assert.deepEqual(
    heard.map((change) => change.advanced),
    [['flushLsn', 'commitLsn'], ['remoteConsistentLsn']],
  );
  assert.equal(heard[1]?.lsns.flushLsn, 80n, 'the event carries the current values');
});

test('publishing reads nothing while nobody listens; a new subscriber starts from now', () => {
  const { events, step, reads } = fakeTimeline();
  const atStart = reads();
  for (let lsn = 1n; lsn <= 100n; lsn++) step({ commitLsn: lsn });
  assert.equal(reads(), atStart, 'no listener: no snapshot per step');
  const heard: TimelineChange[] = [];
  events.subscribe((change) => heard.push(change));
  step({ commitLsn: 100n });
  assert.equal(heard.length, 0, 'nothing advanced since the subscription');
  step({ commitLsn: 101n });
  assert.deepEqual(
    heard.map((change) => change.advanced),
    [['commitLsn']],
  );
});

test('waitFor resolves when the LSN reaches the target; abort and close reject', async () => {
  const { events, step } = fakeTimeline();
  assert.equal(await events.waitFor('commitLsn', 0n), 0n, 'already there');
  const reached = events.waitFor('commitLsn', 300n);
  let settled = false;
  void reached.then(() => (settled = true));
  step({ commitLsn: 200n });
  await Promise.resolve();
  assert.equal(settled, false, 'not yet at the target');
  step({ commitLsn: 400n });
  assert.equal(await reached, 400n);

  const controller = new AbortController();
  const aborted = events.waitFor('backupLsn', 1n, controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);

  const closing = events.waitFor('flushLsn', 1n);
  events.close('timeline x');
  await assert.rejects(
    closing,
    (error: unknown) => isAppError(error) && /timeline x is closed/.test(error.message),
  );
  await assert.rejects(events.waitFor('flushLsn', 1n), /is closed/);
});
