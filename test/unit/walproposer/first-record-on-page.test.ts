import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XLOG_BLCKSZ } from '../../../src/postgres/wal/wal-page-header.js';
import { firstRecordOnPage } from '../../../src/walproposer/term-settlement.js';
import { makeTestWal, MIB, seededRandom } from '../../helpers/wal.js';

test('the first record boundary of every page is found from its header alone', () => {
  const random = seededRandom(7);
  // Small records, records spanning pages, and records longer than a whole page.
  const sizes = Array.from({ length: 600 }, () =>
    random() < 0.1 ? 9000 + Math.floor(random() * 20_000) : 64 + Math.floor(random() * 3000),
  );
  const wal = makeTestWal(BigInt(MIB), sizes);
  const starts = wal.records.map((record) => record.startLsn).sort((a, b) => (a < b ? -1 : 1));
  const page = BigInt(XLOG_BLCKSZ);
  let pagesChecked = 0;
  let filledPages = 0;
  for (let pageStart = wal.startLsn; pageStart + page <= wal.endLsn; pageStart += page) {
    const bytes = wal.bytes.subarray(
      Number(pageStart - wal.startLsn),
      Number(pageStart - wal.startLsn + page),
    );
    const found = firstRecordOnPage(pageStart, bytes, MIB);
    const expected = starts.find((lsn) => lsn >= pageStart && lsn < pageStart + page);
    assert.equal(found, expected, `page at ${pageStart.toString(16)}`);
    pagesChecked++;
    if (expected === undefined) filledPages++;
  }
  assert.ok(pagesChecked > 100 && filledPages > 0, `${pagesChecked} pages, ${filledPages} filled`);
  // Not a page of this WAL (wrong address): no answer rather than a wrong one.
  const first = wal.bytes.subarray(0, XLOG_BLCKSZ);
  assert.equal(firstRecordOnPage(wal.startLsn + page, first, MIB), undefined);
});
