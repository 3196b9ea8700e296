// Tables cut their last column to a given width (colour codes kept, not counted), so a long
// detail during a fault never wraps the terminal; without a width nothing is cut.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTable, truncateVisible, visibleLength } from '../../../src/cli/ui/table.js';

const DIM = (text: string): string => `\u001b[2m${text}\u001b[22m`;

test('truncateVisible counts only visible characters and ends in an ellipsis', () => {
  assert.equal(truncateVisible('short', 10), 'short');
  assert.equal(truncateVisible('a long detail', 8), 'a long …');
  const cut = truncateVisible(DIM('a long detail'), 8);
  assert.equal(visibleLength(cut), 8);
  assert.ok(cut.startsWith('\u001b[2ma long '), cut);
  assert.ok(cut.endsWith('…\u001b[0m'), 'the colour is reset after the cut');
});

test('renderTable fits the width by cutting the last column only', () => {
  const header = ['NAME', 'STATE', 'DETAIL'];
  const rows = [
    ['sk1', 'ready', 'id 1'],
    ['sk3', 'not responding (paused)', DIM('stopped by SIGSTOP, and a much longer explanation')],
  ];
  const wide = renderTable(header, rows);
  assert.ok(wide.includes('a much longer explanation'), 'no width: nothing is cut');
  const narrow = renderTable(header, rows, 50);
  for (const line of narrow.split('\n')) assert.ok(visibleLength(line) <= 50, line);
  assert.match(narrow, /^sk3 {3}not responding \(paused\) {2}\S.*…/m);
  assert.match(narrow, /^sk1 {3}ready {20}id 1$/m, 'short cells are untouched');
});
