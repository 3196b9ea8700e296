// The inspect screen as text: the LSN ruler's column of an LSN at the edges of segments and cells
// (every byte of a segment stays in its own columns), and snapshots of a whole screen at 80 and
// 200 columns and in ASCII, with a paused safekeeper, a gap in the bucket and an upload failing.
// UPDATE_SNAPSHOTS=1 rewrites the files in test/fixtures/inspect/ (review the diff).
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lsnColumn, renderInspect, rulerScale } from '../../../src/cli/ui/inspect-view.js';
import { visibleLength } from '../../../src/cli/ui/table.js';
import { PLAIN } from '../../../src/cli/ui/theme.js';
import type { InspectDocument, InspectedSafekeeper } from '../../../src/index.js';
import { parseNodeId, type NodeId } from '../../../src/common/ids.js';
import { parseLsn } from '../../../src/postgres/lsn.js';
import { timelineStatusDocument } from '../../helpers/timeline-status-document.js';

const node = (id: number): NodeId => parseNodeId(String(id));

const MIB = 1024 * 1024;
const SEG_16 = 16 * MIB;

test('rulerScale: whole segments per cell, as many columns per cell as fit', () => {
  const cases: [
    low: bigint,
    high: bigint,
    width: number,
    perCell: number,
    cells: number,
    cellWidth: number,
  ][] = [
    [1n, 3n, 80, 1, 3, 24],
    [1n, 20n, 80, 1, 20, 3],
    [1n, 73n, 80, 1, 73, 1],
    [1n, 74n, 80, 2, 37, 1],
    [1n, 2000n, 80, 28, 72, 1],
    [1n, 3n, 200, 1, 3, 64],
    [5n, 5n, 20, 1, 1, 13],
    // Never fewer than 8 columns, never more than 200.
    [1n, 1n, 10, 1, 1, 8],
    [1n, 1n, 1000, 1, 1, 200],
  ];
  for (const [low, high, width, perCell, cells, cellWidth] of cases)
    assert.deepEqual(
      rulerScale(low, high, width),
      { lowSegno: low, segmentsPerCell: perCell, cells, cellWidth },
      `${low}..${high} at ${width}`,
    );
});

test('lsnColumn: segment and cell edges land in their own columns', () => {
  const three = rulerScale(1n, 3n, 80); // 24 columns a segment
  const twenty = rulerScale(1n, 20n, 80); // 3 columns a segment: not a divisor of the size
  const many = rulerScale(1n, 2000n, 80); // 28 segments a cell, 1 column a cell
  const cases: [
    scale: typeof three,
    lsn: string,
    segmentSizeBytes: number,
    column: number | undefined,
  ][] = [
    [three, '0/FFFFFF', SEG_16, undefined],
    [three, '0/1000000', SEG_16, 0],
    [three, '0/17FFFFF', SEG_16, 11],
    [three, '0/1800000', SEG_16, 12],
    [three, '0/1FFFFFF', SEG_16, 23],
    [three, '0/2000000', SEG_16, 24],
    [three, '0/3FFFFFF', SEG_16, 71],
    [three, '0/4000000', SEG_16, 71],
    [three, '1/0', SEG_16, 71],
    [twenty, '0/1000000', SEG_16, 0],
    [twenty, '0/1FFFFFF', SEG_16, 2],
    [twenty, '0/2000000', SEG_16, 3],
    [twenty, '0/14FFFFF', MIB, 59],
    [twenty, '0/100000', MIB, 0],
    [twenty, '0/1FFFFF', MIB, 2],
    [twenty, '0/200000', MIB, 3],
    [many, '0/100000', MIB, 0],
    [many, '0/1CFFFFF', MIB, 0],
    [many, '0/1D00000', MIB, 1],
    [many, '0/7C4FFFFF', MIB, 70],
    [many, '0/7C500000', MIB, 71],
    [many, '0/7D000000', MIB, 71],
    [many, '0/7D0FFFFF', MIB, 71],
    [many, '0/7D100000', MIB, 71],
  ];
  for (const [scale, lsn, size, column] of cases)
    assert.equal(lsnColumn(scale, parseLsn(lsn), size), column, `${lsn} (segment ${size} B)`);
});

function safekeeper(id: number, overrides: Partial<InspectedSafekeeper> = {}): InspectedSafekeeper {
  return {
    ...timelineStatusDocument({
      tenant_id: TENANT,
      timeline_id: TIMELINE,
      acceptor_state: { term: 3, epoch: 3, term_history: [{ term: 3, lsn: '0/1000028' }] },
      flush_lsn: '0/5800048',
      write_lsn: '0/5800048',
      write_record_lsn: '0/5800048',
      timeline_start_lsn: '0/1000028',
      local_start_lsn: '0/1000028',
      commit_lsn: '0/5800048',
      backup_lsn: '0/4000000',
      peer_horizon_lsn: '0/5800048',
      remote_consistent_lsn: '0/3800000',
      persisted: {
        commit_lsn: '0/5000000',
        backup_lsn: '0/4000000',
        peer_horizon_lsn: '0/5000000',
        remote_consistent_lsn: '0/3800000',
      },
      local_segments: {
        first: '000000010000000000000002',
        last: '000000010000000000000005',
        count: 4,
        bytes: 4 * SEG_16,
        partial: '000000010000000000000005',
      },
      horizon: {
        lsn: '0/3800000',
        limited_by: 'remote_consistent_lsn',
        inputs: {
          remote_consistent_lsn: '0/3800000',
          peer_horizon_lsn: '0/5000000',
          backup_lsn: '0/4000000',
        },
        removable_before: '000000010000000000000003',
        pinned_bytes: SEG_16,
      },
      wal_backup: { ...timelineStatusDocument().wal_backup, configured: true, eligible: true },
    }),
    node: {
      id,
      broker: {
        connected: true,
        idle: false,
        lease_id: '694d8a1f2b3c4d5e',
        last_error: null,
        published_timelines: 1,
        peer_keys: 2,
      },
      wal_backup: {
        configured: true,
        etcd_connected: true,
        timelines_campaigning: 0,
        timelines_leading: 0,
      },
    },
    ...overrides,
  };
}

const TENANT = 'de200bd42b5f4e5c9a1f6b7c8d9e0f1a';
const TIMELINE = '0ad1b3e1a5b2c4d6e8f0a1b2c3d4e5f6';

const NO_BROKER = {
  connected: false,
  idle: false,
  lease_id: null,
  last_error: null,
  published_timelines: 0,
  peer_keys: 0,
};

const base = safekeeper(1);
const DOCUMENT: InspectDocument = {
  tenant_id: TENANT,
  timeline_id: TIMELINE,
  wal_seg_size: SEG_16,
  safekeepers: [
    {
      id: node(1),
      state: 'ok',
      paused: false,
      result: safekeeper(1, {
        wal_backup: {
          ...base.wal_backup,
          phase: 'backoff',
          campaigning: true,
          leader: true,
          uploading_segment: '000000010000000000000004',
          last_uploaded_segment: '000000010000000000000003',
          last_error: {
            message: 'S3 answered 503 Slow Down',
            at: '2026-12-01T20:00:00.000Z',
            failures: 3,
          },
        },
      }),
    },
    {
      id: node(2),
      state: 'not-responding',
      paused: true,
      error: { code: 'timed-out', message: 'safekeeper 2: paused (SIGSTOP)' },
    },
    {
      id: node(3),
      state: 'ok',
      paused: false,
      result: safekeeper(3, {
        commit_lsn: '0/5000000',
        flush_lsn: '0/5000000',
        local_segments: {
          first: '000000010000000000000001',
          last: '000000010000000000000005',
          count: 5,
          bytes: 5 * SEG_16,
          partial: '000000010000000000000005',
        },
        node: {
          ...base.node,
          id: 3,
          broker: {
            ...(base.node.broker ?? NO_BROKER),
            connected: false,
            last_error: 'deadline exceeded',
          },
        },
      }),
    },
  ],
  pageserver: {
    state: 'ok',
    paused: false,
    result: {
      tenant_id: TENANT,
      timeline_id: TIMELINE,
      received_lsn: '0/5800048',
      durable_lsn: '0/5800048',
      uploaded_lsn: '0/3800000',
      source: { safekeeper_id: 1, since: '2026-12-01T19:59:00.000Z' },
      state: 'streaming',
      last_error: null,
      last_checkpoint_at: '2026-12-01T19:59:30.000Z',
    },
  },
  s3: {
    error: null,
    segments: {
      prefix: `wal/${TENANT}/${TIMELINE}/`,
      first: '000000010000000000000001',
      last: '000000010000000000000003',
      count: 2,
      bytes: SEG_16 + 1000,
      gaps: ['000000010000000000000002'],
      wrong_size: [{ name: '000000010000000000000003', size: 1000 }],
      names: ['000000010000000000000001', '000000010000000000000003'],
    },
  },
  offload: { leader_node_id: 1, error: null },
};

const SNAPSHOTS = fileURLToPath(new URL('../../../../test/fixtures/inspect/', import.meta.url));

for (const [name, widthColumns, unicode] of [
  ['80-unicode', 80, true],
  ['200-unicode', 200, true],
  ['80-ascii', 80, false],
] as const)
  test(`renderInspect at ${widthColumns} columns, ${unicode ? 'Unicode' : 'ASCII'}: the snapshot`, async () => {
    const text = `${renderInspect(DOCUMENT, PLAIN, { widthColumns, unicode })}\n`;
    for (const line of text.split('\n'))
      assert.ok(visibleLength(line) <= widthColumns, `wider than ${widthColumns}: "${line}"`);
    if (!unicode) assert.doesNotMatch(text, /[^\x20-\x7e\n]/, 'ASCII only');
    const file = join(SNAPSHOTS, `${name}.txt`);
    if (process.env.UPDATE_SNAPSHOTS === '1') await writeFile(file, text);
    assert.equal(text, await readFile(file, 'utf8'), `${file} (UPDATE_SNAPSHOTS=1 rewrites it)`);
  });

test('renderInspect: a safekeeper is "behind" in an older term, or by 1 MiB or more', () => {
  const withSk3 = (flush: string, term: number): string => {
    const sk3 = DOCUMENT.safekeepers[2];
    assert.ok(sk3?.result);
    const result = {
      ...sk3.result,
      flush_lsn: flush,
      acceptor_state: { ...sk3.result.acceptor_state, term, epoch: term },
    };
    const document = { ...DOCUMENT, safekeepers: [DOCUMENT.safekeepers[0]!, { ...sk3, result }] };
    return renderInspect(document, PLAIN, { widthColumns: 80, unicode: true });
  };
  // sk1 flushed 0/5800048.
  assert.doesNotMatch(withSk3('0/5800000', 3), /behind/, 'WAL in flight');
  assert.doesNotMatch(withSk3('0/5700049', 3), /behind/, 'just under 1 MiB');
  assert.match(withSk3('0/5700048', 3), /^3 +behind /m);
  assert.match(
    withSk3('0/5700048', 3),
    /^sk3 is 1\.0 MiB behind sk1 \(0\/5700048 of 0\/5800048\)/m,
  );
  assert.match(withSk3('0/5800000', 2), /^3 +behind +2\/2 /m, 'an older term');
});

test('renderInspect on a short screen: saved rows go first, then blank lines, then the legend', () => {
  const render = (heightRows?: number): string[] =>
    renderInspect(DOCUMENT, PLAIN, {
      widthColumns: 80,
      unicode: true,
      ...(heightRows === undefined ? {} : { heightRows }),
    }).split('\n');
  const full = render();
  const savedRows = full.filter((line) => /^ +saved /.test(line)).length;
  const blankLines = full.filter((line) => line === '').length;
  assert.ok(savedRows > 0 && blankLines > 0);
  assert.deepEqual(render(full.length), full, 'what fits is left alone');
  const noSaved = render(full.length - 1);
  assert.equal(noSaved.length, full.length - savedRows);
  assert.ok(!noSaved.some((line) => /^ +saved /.test(line)));
  assert.ok(noSaved.includes(''), 'blank lines stay while the saved rows suffice');
  const noBlank = render(full.length - savedRows - 1);
  assert.equal(noBlank.length, full.length - savedRows - blankLines);
  assert.ok(
    noBlank.some((line) => /C commit B backup/.test(line)),
    'the legend stays',
  );
  const noLegend = render(5);
  assert.equal(noLegend.length, noBlank.length - 1);
  assert.ok(!noLegend.some((line) => /C commit B backup/.test(line)));
  assert.ok(
    noLegend.some((line) => line.startsWith('s3     ')),
    'the ruler itself is never dropped',
  );
});
