// What a checkpoint uploads: complete segments once by their name, the tail as .partial at every
// checkpoint that moved it, the stale .partial deleted once its segment is complete.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planCheckpoint } from '../../../src/pageserver/checkpoint/checkpoint-plan.js';

const SEG = 1024 * 1024;
const S = BigInt(SEG);

interface Case {
  readonly name: string;
  readonly startLsn: bigint;
  readonly uploadedLsn: bigint;
  readonly targetLsn: bigint;
  readonly uploads: readonly [string, number][];
  readonly deletes: readonly string[];
  readonly uploadedAfter: bigint;
}

const CASES: readonly Case[] = [
  {
    name: 'first checkpoint inside the first segment',
    startLsn: S,
    uploadedLsn: 0n,
    targetLsn: S + 1000n,
    uploads: [['000000010000000000000001.partial', 1000]],
    deletes: [],
    uploadedAfter: S + 1000n,
  },
  {
    name: 'first checkpoint over three segments, start mid-segment',
    startLsn: S + 40n,
    uploadedLsn: 0n,
    targetLsn: 3n * S + 10n,
    uploads: [
      ['000000010000000000000001', SEG],
      ['000000010000000000000002', SEG],
      ['000000010000000000000003.partial', 10],
    ],
    deletes: [],
    uploadedAfter: 3n * S + 10n,
  },
  {
    name: 'the tail grows within its segment',
    startLsn: S,
    uploadedLsn: S + 1000n,
    targetLsn: S + 5000n,
    uploads: [['000000010000000000000001.partial', 5000]],
    deletes: [],
    uploadedAfter: S + 5000n,
  },
  {
    name: 'the tail segment completes: full upload, stale partial deleted',
    startLsn: S,
    uploadedLsn: S + 1000n,
    targetLsn: 2n * S + 8n,
    uploads: [
      ['000000010000000000000001', SEG],
      ['000000010000000000000002.partial', 8],
    ],
    deletes: ['000000010000000000000001.partial'],
    uploadedAfter: 2n * S + 8n,
  },
  {
    name: 'uploaded at a segment end: the next segment only',
    startLsn: S,
    uploadedLsn: 2n * S,
    targetLsn: 3n * S,
    uploads: [['000000010000000000000002', SEG]],
    deletes: [],
    uploadedAfter: 3n * S,
  },
  {
    name: 'nothing new',
    startLsn: S,
    uploadedLsn: S + 77n,
    targetLsn: S + 77n,
    uploads: [],
    deletes: [],
    uploadedAfter: S + 77n,
  },
  {
    name: 'nothing beyond the start',
    startLsn: S + 40n,
    uploadedLsn: 0n,
    targetLsn: S + 40n,
    uploads: [],
    deletes: [],
    uploadedAfter: 0n,
  },
];

test('checkpoint plans', () => {
  for (const c of CASES) {
    const plan = planCheckpoint({
      segmentSizeBytes: SEG,
      startLsn: c.startLsn,
      uploadedLsn: c.uploadedLsn,
      targetLsn: c.targetLsn,
    });
    assert.deepEqual(
      plan.uploads.map((upload) => [upload.objectName, upload.lengthBytes]),
      c.uploads,
      c.name,
    );
    assert.deepEqual(plan.deletes, c.deletes, c.name);
    assert.equal(plan.uploadedLsn, c.uploadedAfter, c.name);
  }
});
