// What the pageserver sends and reads besides WAL: its 'z' and 'r' feedback carry received,
// durable and uploaded as write, flush and apply (decoded with the safekeeper's own decoders),
// and a safekeeper's timeline list is read defensively (bad entries skipped, a non-list refused).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeId } from '../../../src/common/ids.js';
import { parseTimelineList } from '../../../src/pageserver/discovery/timeline-list.js';
import {
  encodeNeonFeedback,
  encodeStandbyStatus,
} from '../../../src/pageserver/receiver/feedback-messages.js';
import {
  decodeStandbyStatusUpdate,
  postgresEpochMicrosNow,
} from '../../../src/postgres/wire/replication-messages.js';
import { decodeNeonFeedbackMessage } from '../../../src/protocol/neon-feedback-message.js';

const POSITIONS = {
  receivedLsn: 0x3000100n,
  durableLsn: 0x3000000n,
  uploadedLsn: 0x2000000n,
  localWalBytes: 0x2000100n,
};
const NOW_MS = 1_800_000_000_000;

test("'z' and 'r' feedback carry received, durable and uploaded", () => {
  assert.deepEqual(decodeNeonFeedbackMessage(encodeNeonFeedback(POSITIONS, NOW_MS)), {
    currentTimelineSizeBytes: 0x2000100n,
    psWriteLsn: 0x3000100n,
    psFlushLsn: 0x3000000n,
    psApplyLsn: 0x2000000n,
    psReplyTimeMicros: postgresEpochMicrosNow(NOW_MS),
  });
  assert.deepEqual(decodeStandbyStatusUpdate(encodeStandbyStatus(POSITIONS, NOW_MS)), {
    writeLsn: 0x3000100n,
    flushLsn: 0x3000000n,
    applyLsn: 0x2000000n,
    sendTimeMicros: postgresEpochMicrosNow(NOW_MS),
    replyRequested: false,
  });
});

const GOOD = {
  tenant_id: 'c0ffee00c0ffee00c0ffee00c0ffee00',
  timeline_id: '7e57ab1e7e57ab1e7e57ab1e7e57ab1e',
  server: { wal_seg_size: 16 * 1024 * 1024 },
  commit_lsn: '0/3000000',
  timeline_start_lsn: '0/1000000',
  local_start_lsn: '0/1000000',
};

test("a safekeeper's timeline list is read defensively", () => {
  const list = [
    GOOD,
    { ...GOOD, timeline_id: 'NOT-HEX' },
    { ...GOOD, commit_lsn: 'banana' },
    { ...GOOD, server: { wal_seg_size: 1000 } },
    { ...GOOD, server: null },
    { tenant_id: GOOD.tenant_id, timeline_id: GOOD.timeline_id, error: { code: 'integrity' } },
    null,
    42,
    'text',
  ];
  assert.deepEqual(parseTimelineList(list, 3 as NodeId), [
    {
      tenantId: GOOD.tenant_id,
      timelineId: GOOD.timeline_id,
      candidate: {
        safekeeperId: 3,
        commitLsn: 0x3000000n,
        timelineStartLsn: 0x1000000n,
        localStartLsn: 0x1000000n,
        segmentSizeBytes: 16 * 1024 * 1024,
      },
    },
  ]);
  const empty = parseTimelineList([{ ...GOOD, server: { wal_seg_size: 0 } }], 1 as NodeId);
  assert.equal(empty[0]?.candidate.segmentSizeBytes, 0, 'a timeline without WAL yet is listed');
  for (const answer of [{}, 'x', null, 7])
    assert.throws(() => parseTimelineList(answer, 1 as NodeId), /did not answer a JSON array/);
});
