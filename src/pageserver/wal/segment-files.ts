// The segment files of one timeline's local WAL: DATADIR/<tenant>/<timeline>/<24-hex name>
// for a segment whose every byte from the local start to its end was received, and
// "<name>.partial" for the one being received. File offset = LSN % segment size (bytes before
// the local start are a hole, read as zeros); a .partial file ends where its received bytes end.
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from '../../common/path-exists.js';
import {
  PARTIAL_SUFFIX,
  segmentFileName,
  type SegmentNumber,
} from '../../postgres/segment-name.js';

const SEGMENT_FILE_MODE = 0o600;

export interface SegmentPaths {
  readonly complete: string;
  readonly partial: string;
}

export function segmentPaths(
  dir: string,
  segno: SegmentNumber,
  segmentSizeBytes: number,
): SegmentPaths {
  const name = segmentFileName(segno, segmentSizeBytes);
  return { complete: join(dir, name), partial: join(dir, `${name}${PARTIAL_SUFFIX}`) };
}

export type SegmentFileKind = 'complete' | 'partial';

/** Which file holds the segment (the complete one wins: it is renamed from the partial). */
export async function existingSegmentFile(
  paths: SegmentPaths,
): Promise<{ kind: SegmentFileKind; path: string } | undefined> {
  if (await pathExists(paths.complete)) return { kind: 'complete', path: paths.complete };
  if (await pathExists(paths.partial)) return { kind: 'partial', path: paths.partial };
  return undefined;
}

/** Opens the segment's file for writing, creating the .partial one if none exists. */
export async function openSegmentForWrite(
  paths: SegmentPaths,
): Promise<{ handle: FileHandle; kind: SegmentFileKind }> {
  const existing = await existingSegmentFile(paths);
  const path = existing?.path ?? paths.partial;
  const handle = await open(path, constants.O_RDWR | constants.O_CREAT, SEGMENT_FILE_MODE);
  return { handle, kind: existing?.kind ?? 'partial' };
}

export async function fileSizeBytes(path: string): Promise<number> {
  return (await stat(path)).size;
}
