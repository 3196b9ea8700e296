// Recovery of a timeline's local WAL at start: decode every segment file from the local start
// with the shared WAL decoder, find the end of the last complete record, and drop what lies
// beyond it (an unfinished record's bytes; .partial files past it). A record that does not
// decode (other than the usual zero-length end of WAL) is an integrity error, never data.
import { readdir, readFile, rm, truncate } from 'node:fs/promises';
import { AppError, describeError } from '../../common/errors.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import {
  parseSegmentFileName,
  segmentNumberOf,
  segmentOffsetOf,
  segmentStartLsn,
} from '../../postgres/segment-name.js';
import { WalDecoder } from '../../postgres/wal/wal-decoder.js';
import { isEndOfWal, WalDecodeError } from '../../postgres/wal/wal-decode-error.js';
import { existingSegmentFile, segmentPaths } from './segment-files.js';

export interface ScanOptions {
  readonly dir: string;
  readonly segmentSizeBytes: number;
  readonly startLsn: Lsn;
}

function integrityError(dir: string, message: string, cause?: unknown): AppError {
  return new AppError(
    'integrity',
    `local WAL of ${dir}: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

/** Decodes what `decoder` was fed; false once the WAL ends (a zero record length). */
function drainRecords(decoder: WalDecoder, dir: string): boolean {
  try {
    while (decoder.next() !== undefined);
    return true;
  } catch (error) {
    if (isEndOfWal(error)) return false;
    if (error instanceof WalDecodeError)
      throw integrityError(dir, `${error.message} (${error.reason})`, error);
    throw error;
  }
}

/** Returns the end of the last complete record; files past it are removed or cut. */
export async function scanLocalWal(options: ScanOptions): Promise<Lsn> {
  const { dir, segmentSizeBytes, startLsn } = options;
  const decoder = new WalDecoder({ startLsn, segmentSizeBytes });
  const firstSegno = segmentNumberOf(startLsn, segmentSizeBytes);
  for (let segno = firstSegno; ; segno++) {
    const file = await existingSegmentFile(segmentPaths(dir, segno, segmentSizeBytes));
    if (file === undefined) break;
    const bytes = await readFile(file.path);
    if (file.kind === 'complete' && bytes.length !== segmentSizeBytes)
      throw integrityError(dir, `${file.path} is ${bytes.length} bytes, not ${segmentSizeBytes}`);
    const from = segno === firstSegno ? segmentOffsetOf(startLsn, segmentSizeBytes) : 0;
    if (bytes.length < from)
      throw integrityError(dir, `${file.path} ends before the local start ${formatLsn(startLsn)}`);
    decoder.feed(bytes.subarray(from));
    if (!drainRecords(decoder, dir) || file.kind === 'partial') break;
  }
  const endLsn = decoder.decodedLsn;
  await dropBeyond(dir, segmentSizeBytes, endLsn);
  return endLsn;
}

/** Removes segment files wholly past `endLsn` and cuts the .partial file holding it there. */
async function dropBeyond(dir: string, segmentSizeBytes: number, endLsn: Lsn): Promise<void> {
  const endSegno = segmentNumberOf(endLsn, segmentSizeBytes);
  for (const name of await readdir(dir)) {
    const parsed = parseSegmentFileName(name, segmentSizeBytes);
    if (parsed === undefined || parsed.segno <= endSegno) continue;
    try {
      await rm(`${dir}/${name}`);
    } catch (error) {
      throw integrityError(dir, `could not remove ${name}: ${describeError(error)}`, error);
    }
  }
  const paths = segmentPaths(dir, endSegno, segmentSizeBytes);
  const file = await existingSegmentFile(paths);
  if (file?.kind === 'partial')
    await truncate(file.path, Number(endLsn - segmentStartLsn(endSegno, segmentSizeBytes)));
}
