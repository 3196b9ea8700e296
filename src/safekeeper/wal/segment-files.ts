// WAL segment files of one timeline directory: `<24 hex>` for a completed segment and
// `<24 hex>.partial` for the one being written (PostgreSQL timeline 1). New segments are
// zero-filled to their full size and fsynced before use, so that later synchronous writes only
// carry data (no allocation, no size change) and a reader past the end of WAL sees zeros. This module knows names and files; the
// storage decides what to write.
import { open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathExists } from '../../common/path-exists.js';
import {
  PARTIAL_SUFFIX,
  PG_TIMELINE_ID,
  parseSegmentFileName,
  segmentFileName,
  type SegmentNumber,
} from '../../postgres/segment-name.js';
import { createFlags, segmentWriteFlags, writeZeros, type WalIoMode } from './direct-io.js';

export interface SegmentLocation {
  readonly segno: SegmentNumber;
  readonly path: string;
  readonly partial: boolean;
}

export function segmentPath(
  dir: string,
  segno: SegmentNumber,
  segmentSizeBytes: number,
  partial: boolean,
): string {
  const name = segmentFileName(segno, segmentSizeBytes);
  return join(dir, partial ? name + PARTIAL_SUFFIX : name);
}

/** The file holding segment `segno`, complete name first; undefined when neither exists. */
export async function findSegment(
  dir: string,
  segno: SegmentNumber,
  segmentSizeBytes: number,
): Promise<SegmentLocation | undefined> {
  for (const partial of [false, true]) {
    const path = segmentPath(dir, segno, segmentSizeBytes, partial);
    if (await pathExists(path)) return { segno, path, partial };
  }
  return undefined;
}

/** Every segment file in `dir`, ascending by segment number (other files are ignored). */
export async function listSegments(
  dir: string,
  segmentSizeBytes: number,
): Promise<SegmentLocation[]> {
  const names = await readdir(dir);
  const segments: SegmentLocation[] = [];
  for (const name of names) {
    const parsed = parseSegmentFileName(name, segmentSizeBytes);
    if (parsed?.timelineId !== PG_TIMELINE_ID) continue;
    segments.push({ segno: parsed.segno, path: join(dir, name), partial: parsed.partial });
  }
  return segments.sort((a, b) => (a.segno < b.segno ? -1 : a.segno > b.segno ? 1 : 0));
}

/**
 * Creates `path` exclusively as a zero-filled file of `sizeBytes` (with `mode.direct`, written
 * with O_DIRECT: a multiple of the alignment), fsynced once at the end when `mode.sync`.
 */
export async function createZeroFilledFile(
  path: string,
  sizeBytes: number,
  mode: WalIoMode,
): Promise<void> {
  // Synced once at the end, not per write.
  const flags = createFlags(segmentWriteFlags({ direct: mode.direct, sync: false }));
  const handle = await open(path, flags, 0o644);
  try {
    await writeZeros(handle.fd, 0, sizeBytes);
    if (mode.sync) await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(path, { force: true });
    throw error;
  }
  await handle.close();
}

/** Renames `<name>.partial` to `<name>` (completed) or back (truncated into). */
export async function renameSegment(
  location: SegmentLocation,
  dir: string,
  segmentSizeBytes: number,
  partial: boolean,
): Promise<SegmentLocation> {
  const path = segmentPath(dir, location.segno, segmentSizeBytes, partial);
  await rename(location.path, path);
  return { segno: location.segno, path, partial };
}
