// The pageserver's table under `sk timeline list` (snapshots of the text): one row per timeline
// with its source safekeeper, received and uploaded ends; shortened ids at 80 columns; one line
// when the pageserver is down, paused or has no timelines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPageserverTimelines } from '../../../src/cli/ui/pageserver-view.js';
import { PLAIN } from '../../../src/cli/ui/theme.js';
import type { PageserverTimelineDocument } from '../../../src/protocol/pageserver-status.js';

const TENANT = '9630a1b2c3d4e5f6a7b8c9d0e1f2812c';
const TIMELINE = '0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6';
const OTHER_TIMELINE = '1bd2c4f2b6c3d5e7f9a1b2c3d4e5f607';

function doc(timeline: string, overrides: Partial<PageserverTimelineDocument> = {}) {
  return {
    tenant_id: TENANT,
    timeline_id: timeline,
    received_lsn: '0/5000000',
    durable_lsn: '0/5000000',
    uploaded_lsn: '0/3000000',
    source: { safekeeper_id: 2, since: '2026-12-01T10:00:00.000Z' },
    state: 'streaming',
    last_error: null,
    last_checkpoint_at: null,
    ...overrides,
  } satisfies PageserverTimelineDocument;
}

const DOCS = [
  doc(TIMELINE),
  doc(OTHER_TIMELINE, {
    source: null,
    state: 'no-safekeeper',
    last_error: 'no safekeeper answers',
    received_lsn: '0/0',
    durable_lsn: '0/0',
    uploaded_lsn: '0/0',
  }),
];
const ok = { state: 'ok', paused: false, result: DOCS } as const;

test('pageserver table at 80 and 200 columns', () => {
  const title = 'pageserver (UPLOADED is what it reports as remote_consistent_lsn)';
  assert.equal(
    renderPageserverTimelines(ok, PLAIN, { widthColumns: 80, wide: false }),
    `${title}
TIMELINE   SOURCE  RECEIVED   UPLOADED   STATE
0ad1b3e1…  sk 2    0/5000000  0/3000000  streaming
1bd2c4f2…  -       0/0        0/0        no-safekeeper: no safekeeper answers`,
  );
  assert.equal(
    renderPageserverTimelines(ok, PLAIN, { widthColumns: 200, wide: false }),
    `${title}
TIMELINE                          SOURCE  RECEIVED   UPLOADED   STATE
${TIMELINE}  sk 2    0/5000000  0/3000000  streaming
${OTHER_TIMELINE}  -       0/0        0/0        no-safekeeper: no safekeeper answers`,
  );
  const filtered = renderPageserverTimelines(ok, PLAIN, {
    widthColumns: 80,
    wide: false,
    tenantId: 'de200bd42b49cc1814412c7e592dd6e9',
  });
  assert.equal(filtered, 'pageserver: no timelines');
});

test('a pageserver that did not answer is one line', () => {
  const down = {
    state: 'down',
    paused: false,
    error: { code: 'unavailable', message: 'the pageserver: not running' },
  } as const;
  const paused = {
    state: 'not-responding',
    paused: true,
    error: { code: 'timed-out', message: 'the pageserver: paused (SIGSTOP)' },
  } as const;
  const options = { widthColumns: 80, wide: false };
  assert.equal(renderPageserverTimelines(down, PLAIN, options), 'pageserver: not running');
  assert.equal(renderPageserverTimelines(paused, PLAIN, options), 'pageserver: paused');
});
