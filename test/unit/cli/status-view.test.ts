// The `status` table at 80 and 200 columns (snapshots of the text): DETAIL in its column while it
// fits (cut with an ellipsis when at least 24 columns are left), on an indented line of its own
// under each row when it would be narrower; a paused component is "paused".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStatusTable } from '../../../src/cli/ui/status-view.js';
import { visibleLength } from '../../../src/cli/ui/table.js';
import { PLAIN } from '../../../src/cli/ui/theme.js';
import type { ComponentStatus } from '../../../src/index.js';

function component(
  name: string,
  ports: Record<string, number>,
  detail: string,
  paused = false,
): ComponentStatus {
  return {
    name,
    kind: name.startsWith('sk') ? 'safekeeper' : 'etcd',
    description: name,
    managed: true,
    endpoint: 'http://127.0.0.1:1',
    ports,
    pid: 4242,
    state: paused ? 'not-responding' : 'ready',
    paused,
    uptimeMs: 73_000 * 60,
    detail,
    logFile: null,
  };
}

const HEALTHY = [
  component('etcd', { client: 2379, peer: 2380 }, 'healthy'),
  component('sk1', { pg: 5454, http: 7676 }, 'id 1, broker connected'),
];
const PAUSED = [
  ...HEALTHY,
  component(
    'sk2',
    { pg: 5455, http: 7677 },
    'stopped by SIGSTOP: answers nothing until continued',
    true,
  ),
];

test('status table: DETAIL in its column when it fits 80 columns', () => {
  assert.equal(
    renderStatusTable(HEALTHY, PLAIN, 80),
    [
      'NAME  STATE  PID   PORTS                  UPTIME  DETAIL',
      'etcd  ready  4242  client=2379 peer=2380  73m0s   healthy',
      'sk1   ready  4242  pg=5454 http=7676      73m0s   id 1, broker connected',
    ].join('\n'),
  );
});

test('status table: a long detail at 80 columns goes under its row; at 200 it stays', () => {
  const narrow = renderStatusTable(PAUSED, PLAIN, 60);
  assert.equal(
    narrow,
    [
      'NAME  STATE   PID   PORTS                  UPTIME',
      'etcd  ready   4242  client=2379 peer=2380  73m0s',
      '  healthy',
      'sk1   ready   4242  pg=5454 http=7676      73m0s',
      '  id 1, broker connected',
      'sk2   paused  4242  pg=5455 http=7677      73m0s',
      '  stopped by SIGSTOP: answers nothing until continued',
    ].join('\n'),
  );
  const at80 = renderStatusTable(PAUSED, PLAIN, 80);
  assert.equal(
    at80.split('\n')[3],
    'sk2   paused  4242  pg=5455 http=7677      73m0s   stopped by SIGSTOP: answers …',
  );
  const wide = renderStatusTable(PAUSED, PLAIN, 200);
  assert.match(wide, /^sk2 +paused +4242 .* stopped by SIGSTOP: answers nothing until continued$/m);
  for (const [text, width] of [
    [narrow, 60],
    [at80, 80],
    [wide, 200],
  ] as const)
    for (const line of text.split('\n')) assert.ok(visibleLength(line) <= width, line);
});
