// How a batch of received WAL is cut into writev runs: one per segment it touches, never across
// a segment end or a rewind, at most RUN_PIECES_MAX buffers each, views of the pieces in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  RUN_PIECES_MAX,
  splitIntoSegmentRuns,
  type WalPiece,
} from '../../../src/pageserver/wal/segment-runs.js';

const SEG = 1024 * 1024;
const SEG_N = BigInt(SEG);

/** Contiguous pieces of the given lengths from `lsn`, each filled with its own index. */
function piecesOf(lsn: bigint, lengths: readonly number[]): WalPiece[] {
  let at = lsn;
  return lengths.map((length, index) => {
    const piece = { lsn: at, bytes: new Uint8Array(length).fill(index + 1) };
    at += BigInt(length);
    return piece;
  });
}

interface RunShape {
  readonly segno: bigint;
  readonly offsetBytes: number;
  readonly pieceLengths: readonly number[];
  readonly fillsSegment: boolean;
}

function shapeOf(pieces: readonly WalPiece[]): RunShape[] {
  return splitIntoSegmentRuns(pieces, SEG).map((run) => {
    assert.equal(
      run.lengthBytes,
      run.pieces.reduce((sum, piece) => sum + piece.length, 0),
    );
    return {
      segno: run.segno,
      offsetBytes: run.offsetBytes,
      pieceLengths: run.pieces.map((piece) => piece.length),
      fillsSegment: run.fillsSegment,
    };
  });
}

const CASES: readonly [string, WalPiece[], RunShape[]][] = [
  ['nothing', [], []],
  [
    'pieces within one segment make one run',
    piecesOf(2n * SEG_N + 100n, [10, 20, 30]),
    [{ segno: 2n, offsetBytes: 100, pieceLengths: [10, 20, 30], fillsSegment: false }],
  ],
  [
    'a piece across a segment end is cut there',
    piecesOf(3n * SEG_N - 24n, [10, 50]),
    [
      { segno: 2n, offsetBytes: SEG - 24, pieceLengths: [10, 14], fillsSegment: true },
      { segno: 3n, offsetBytes: 0, pieceLengths: [36], fillsSegment: false },
    ],
  ],
  [
    'a piece that ends exactly at the segment end fills it',
    piecesOf(SEG_N, [SEG - 24, 24]),
    [{ segno: 1n, offsetBytes: 0, pieceLengths: [SEG - 24, 24], fillsSegment: true }],
  ],
  [
    'a piece longer than a segment spans three runs',
    piecesOf(2n * SEG_N - 24n, [24 + SEG + 8]),
    [
      { segno: 1n, offsetBytes: SEG - 24, pieceLengths: [24], fillsSegment: true },
      { segno: 2n, offsetBytes: 0, pieceLengths: [SEG], fillsSegment: true },
      { segno: 3n, offsetBytes: 0, pieceLengths: [8], fillsSegment: false },
    ],
  ],
];

for (const [name, pieces, expected] of CASES) {
  test(`segment runs: ${name}`, () => {
    assert.deepEqual(shapeOf(pieces), expected);
  });
}

test('segment runs keep the bytes in order, as views of the pieces', () => {
  const pieces = piecesOf(2n * SEG_N - 4n, [3, 5, 2]);
  const runs = splitIntoSegmentRuns(pieces, SEG);
  const bytes = runs.flatMap((run) => run.pieces.flatMap((piece) => [...piece]));
  assert.deepEqual(bytes, [1, 1, 1, 2, 2, 2, 2, 2, 3, 3]);
  assert.equal(runs[0]?.pieces[0]?.buffer, pieces[0]?.bytes.buffer);
});

test('segment runs hold at most RUN_PIECES_MAX buffers each', () => {
  const pieces = piecesOf(
    0n,
    Array.from({ length: RUN_PIECES_MAX + 3 }, () => 1),
  );
  const runs = splitIntoSegmentRuns(pieces, SEG);
  assert.deepEqual(
    runs.map((run) => [run.offsetBytes, run.pieces.length]),
    [
      [0, RUN_PIECES_MAX],
      [RUN_PIECES_MAX, 3],
    ],
  );
});

test('a piece that does not follow the one before (a rewind) starts a new run', () => {
  const pieces = [...piecesOf(SEG_N + 100n, [40]), ...piecesOf(SEG_N + 120n, [30])];
  assert.deepEqual(
    splitIntoSegmentRuns(pieces, SEG).map((run) => [run.offsetBytes, run.lengthBytes]),
    [
      [100, 40],
      [120, 30],
    ],
  );
});
