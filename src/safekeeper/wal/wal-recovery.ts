// Start-up recovery of one timeline's WAL: decode records (CRC checked) from a known record
// boundary, normally the persisted commit_lsn, through the following segment files, and report
// where the last complete, valid record ends. A torn or corrupt record, zeros, or a missing
// next segment all end the scan; what follows is not WAL this node can vouch for.
import { open } from 'node:fs/promises';
import type { Lsn } from '../../postgres/lsn.js';
import { segmentNumberOf, segmentOffsetOf } from '../../postgres/segment-name.js';
import { WalDecodeError } from '../../postgres/wal/wal-decode-error.js';
import { WalDecoder } from '../../postgres/wal/wal-decoder.js';
import { findSegment } from './segment-files.js';

const RECOVERY_READ_CHUNK_BYTES = 1024 * 1024;

export interface EndOfWal {
  /** End of the last complete record at or after the start (the start itself if none). */
  readonly endLsn: Lsn;
  /** false when the segment holding the start LSN does not exist at all. */
  readonly startSegmentFound: boolean;
  /** Why the scan stopped, for the log. */
  readonly stoppedBecause: string;
}

export async function findEndOfWal(
  dir: string,
  segmentSizeBytes: number,
  startLsn: Lsn,
): Promise<EndOfWal> {
  const decoder = new WalDecoder({ startLsn, segmentSizeBytes, verifyCrc: true });
  let endLsn = startLsn;
  let segno = segmentNumberOf(startLsn, segmentSizeBytes);
  let offset = segmentOffsetOf(startLsn, segmentSizeBytes);
  for (let first = true; ; first = false) {
    const location = await findSegment(dir, segno, segmentSizeBytes);
    if (location === undefined) {
      return { endLsn, startSegmentFound: !first, stoppedBecause: 'no further segment file' };
    }
    const handle = await open(location.path, 'r');
    try {
      while (offset < segmentSizeBytes) {
        // A fresh buffer per read: the decoder may keep a reference to the tail it was fed.
        const chunk = Buffer.allocUnsafe(
          Math.min(RECOVERY_READ_CHUNK_BYTES, segmentSizeBytes - offset),
        );
        const wanted = chunk.length;
        const { bytesRead } = await handle.read(chunk, 0, wanted, offset);
        if (bytesRead === 0) {
          return { endLsn, startSegmentFound: true, stoppedBecause: `${location.path} is short` };
        }
        offset += bytesRead;
        decoder.feed(chunk.subarray(0, bytesRead));
        try {
          for (let record = decoder.next(); record !== undefined; record = decoder.next())
            endLsn = record.endLsn;
        } catch (error) {
          if (!(error instanceof WalDecodeError)) throw error;
          return { endLsn, startSegmentFound: true, stoppedBecause: error.message };
        }
      }
    } finally {
      await handle.close();
    }
    segno++;
    offset = 0;
  }
}
