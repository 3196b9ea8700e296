// Cuts a batch of WAL pieces into runs of contiguous bytes within one segment, so the local
// WAL's writer issues one writev per segment a batch touches instead of one write per received
// frame. A piece that does not start where the one before ended (the stream was rewound to a
// record end) starts a new run. Pure: it only makes views of the pieces, never copies.
import type { Lsn } from '../../postgres/lsn.js';
import {
  segmentNumberOf,
  segmentOffsetOf,
  type SegmentNumber,
} from '../../postgres/segment-name.js';

/** Most buffers handed to one writev (Linux's IOV_MAX is 1024); a longer run is split. */
export const RUN_PIECES_MAX = 256;

export interface WalPiece {
  readonly lsn: Lsn;
  readonly bytes: Uint8Array;
}

export interface SegmentRun {
  readonly segno: SegmentNumber;
  /** Where the run starts in its segment file. */
  readonly offsetBytes: number;
  readonly pieces: readonly Uint8Array[];
  readonly lengthBytes: number;
  /** The run's last byte is the segment's last byte. */
  readonly fillsSegment: boolean;
}

/** The runs, in the order of `pieces`. */
export function splitIntoSegmentRuns(
  pieces: readonly WalPiece[],
  segmentSizeBytes: number,
): SegmentRun[] {
  const runs: SegmentRun[] = [];
  let current: { segno: SegmentNumber; offsetBytes: number; pieces: Uint8Array[] } | undefined;
  let currentBytes = 0;
  let expectedLsn: Lsn | undefined;
  const endRun = (fillsSegment: boolean): void => {
    if (current === undefined) return;
    runs.push({ ...current, lengthBytes: currentBytes, fillsSegment });
    current = undefined;
    currentBytes = 0;
  };
  for (const piece of pieces) {
    if (piece.lsn !== expectedLsn) endRun(false);
    let at = piece.lsn;
    let rest = piece.bytes;
    while (rest.length > 0) {
      const offsetBytes = segmentOffsetOf(at, segmentSizeBytes);
      current ??= { segno: segmentNumberOf(at, segmentSizeBytes), offsetBytes, pieces: [] };
      const part = rest.subarray(0, Math.min(rest.length, segmentSizeBytes - offsetBytes));
      current.pieces.push(part);
      currentBytes += part.length;
      at += BigInt(part.length);
      rest = rest.subarray(part.length);
      const isSegmentEnd = offsetBytes + part.length === segmentSizeBytes;
      if (isSegmentEnd || current.pieces.length === RUN_PIECES_MAX) endRun(isSegmentEnd);
    }
    expectedLsn = at;
  }
  endRun(false);
  return runs;
}
