// The `sk timeline list` table at 80 and 200 columns (snapshots of the text): full ids when they
// fit, shortened at 80, --wide whatever the width; one tenant named once above the table, a TENANT
// column for several; down and paused safekeepers as short rows with a note under the table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTimelineList } from '../../../src/cli/ui/timeline-view.js';
import { PLAIN } from '../../../src/cli/ui/theme.js';
import type { SafekeeperAnswer } from '../../../src/cluster/safekeeper-fanout.js';
import { parseNodeId, type NodeId } from '../../../src/common/ids.js';
import type { TimelineListEntry, TimelineStatus } from '../../../src/protocol/timeline-status.js';
import { SEGMENT_16_MIB, timelineStatusDocument } from '../../helpers/timeline-status-document.js';

const TENANT = '9630a1b2c3d4e5f6a7b8c9d0e1f2812c';
const OTHER_TENANT = 'de200bd42b49cc1814412c7e592dd6e9';
const TIMELINE = '0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6';

function status(tenant: string, flushLsn: string, segments: number): TimelineStatus {
  return timelineStatusDocument({
    tenant_id: tenant,
    timeline_id: TIMELINE,
    flush_lsn: flushLsn,
    write_lsn: flushLsn,
    write_record_lsn: flushLsn,
    commit_lsn: flushLsn,
    persisted: {
      commit_lsn: flushLsn,
      backup_lsn: '0/0',
      peer_horizon_lsn: '0/0',
      remote_consistent_lsn: '0/0',
    },
    local_segments: {
      first: null,
      last: null,
      count: segments,
      bytes: segments * SEGMENT_16_MIB,
      partial: null,
    },
  });
}

const sk = (id: number): NodeId => parseNodeId(String(id));
const ok = (id: number, entries: TimelineListEntry[]): SafekeeperAnswer<TimelineListEntry[]> => ({
  id: sk(id),
  state: 'ok',
  paused: false,
  result: entries,
});

const ANSWERS: SafekeeperAnswer<TimelineListEntry[]>[] = [
  ok(1, [status(TENANT, '0/4000000', 3)]),
  ok(2, [status(TENANT, '0/4000000', 3)]),
  {
    id: sk(3),
    state: 'down',
    paused: false,
    error: { code: 'unavailable', message: 'safekeeper 3: not running' },
  },
  {
    id: sk(4),
    state: 'not-responding',
    paused: true,
    error: { code: 'timed-out', message: 'safekeeper 4: paused (SIGSTOP)' },
  },
];

const AT_80 = `tenant ${TENANT}
SK  TIMELINE   TERM  FLUSH      COMMIT     SEGMENTS      STATE
1   0ad1b3e1…  3     0/4000000  0/4000000  3 (48.0 MiB)  ok
2   0ad1b3e1…  3     0/4000000  0/4000000  3 (48.0 MiB)  ok
3   -          -     -          -          -             down
4   -          -     -          -          -             paused
safekeeper 3: not running
safekeeper 4: paused (SIGSTOP)`;

const AT_200 = `tenant ${TENANT}
SK  TIMELINE                          TERM  FLUSH      COMMIT     SEGMENTS      STATE
1   ${TIMELINE}  3     0/4000000  0/4000000  3 (48.0 MiB)  ok
2   ${TIMELINE}  3     0/4000000  0/4000000  3 (48.0 MiB)  ok
3   -                                 -     -          -          -             down
4   -                                 -     -          -          -             paused
safekeeper 3: not running
safekeeper 4: paused (SIGSTOP)`;

test('timeline list at 80 and 200 columns, and --wide', () => {
  const at80 = renderTimelineList(ANSWERS, PLAIN, { widthColumns: 80, wide: false });
  assert.equal(at80, AT_80);
  for (const line of at80.split('\n')) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);
  assert.equal(renderTimelineList(ANSWERS, PLAIN, { widthColumns: 200, wide: false }), AT_200);
  assert.equal(renderTimelineList(ANSWERS, PLAIN, { widthColumns: 80, wide: true }), AT_200);
});

test('several tenants get a TENANT column; no timelines at all is said so', () => {
  const answers = [ok(1, [status(TENANT, '0/4000000', 3), status(OTHER_TENANT, '0/2000000', 1)])];
  assert.equal(
    renderTimelineList(answers, PLAIN, { widthColumns: 80, wide: false }),
    `SK  TENANT     TIMELINE   TERM  FLUSH      COMMIT     SEGMENTS      STATE
1   9630a1b2…  0ad1b3e1…  3     0/4000000  0/4000000  3 (48.0 MiB)  ok
1   de200bd4…  0ad1b3e1…  3     0/2000000  0/2000000  1 (16.0 MiB)  ok`,
  );
  const broken: TimelineListEntry = {
    tenant_id: TENANT,
    timeline_id: TIMELINE,
    error: { code: 'integrity', message: 'control file checksum mismatch' },
  };
  assert.equal(
    renderTimelineList([ok(1, [broken])], PLAIN, { widthColumns: 200, wide: false }),
    `tenant ${TENANT}
SK  TIMELINE                          TERM  FLUSH  COMMIT  SEGMENTS  STATE
1   ${TIMELINE}  -     -      -       -         broken
safekeeper 1, timeline ${TIMELINE}: integrity: control file checksum mismatch`,
  );
  assert.equal(
    renderTimelineList([ok(1, []), ANSWERS[2]!], PLAIN, { widthColumns: 80, wide: false }),
    'no timelines\nsafekeeper 3: not running',
  );
});
