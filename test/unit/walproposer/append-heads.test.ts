// The AppendRequest head cache: the same slice with the same commit and truncate LSNs gets the
// very same encoded head (acceptors in step share it), anything different gets a new head that
// decodes to exactly its fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateHexId } from '../../../src/common/hex-id.js';
import { decodeProposerMessage } from '../../../src/protocol/proposer-codec.js';
import { AppendHeads } from '../../../src/walproposer/append-heads.js';

const PROPOSER = generateHexId();

function decodeHead(head: Uint8Array, walLength: number) {
  const message = decodeProposerMessage(Buffer.concat([head, Buffer.alloc(walLength, 7)]));
  assert.equal(message.tag, 'append');
  return message.header;
}

test('acceptors in step share one head; a change gets a head of its own fields', () => {
  const heads = new AppendHeads(5n, 1000n, PROPOSER);
  const first = heads.headFor(1000n, 300, 0n, 0n);
  assert.equal(heads.headFor(1000n, 300, 0n, 0n), first, 'the same bytes for the same request');
  assert.deepEqual(decodeHead(first, 300), {
    term: 5n,
    epochStartLsn: 1000n,
    beginLsn: 1000n,
    endLsn: 1300n,
    commitLsn: 0n,
    truncateLsn: 0n,
    proposerId: PROPOSER,
  });
  const changes: [bigint, number, bigint, bigint][] = [
    [1300n, 300, 0n, 0n],
    [1300n, 200, 0n, 0n],
    [1300n, 200, 1300n, 0n],
    [1300n, 200, 1300n, 900n],
    [1000n, 300, 0n, 0n],
  ];
  let previous = first;
  for (const [beginLsn, walLength, commitLsn, truncateLsn] of changes) {
    const head = heads.headFor(beginLsn, walLength, commitLsn, truncateLsn);
    assert.notEqual(
      head,
      previous,
      `a new head for ${beginLsn}+${walLength} ${commitLsn}/${truncateLsn}`,
    );
    const header = decodeHead(head, walLength);
    assert.deepEqual(
      [header.beginLsn, header.endLsn, header.commitLsn, header.truncateLsn],
      [beginLsn, beginLsn + BigInt(walLength), commitLsn, truncateLsn],
    );
    previous = head;
  }
});
