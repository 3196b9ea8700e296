// WAL segment files of one timeline directory: `<24 hex>` for a completed segment and
// `<24 hex>.partial` for the one being written (PostgreSQL timeline 1). New segments are
// zero-filled to their full size and fsynced before use, so that later fdatasyncs only carry
// data and a reader past the end of WAL sees zeros. This module knows names and files; the
// storage decides what to write.
import { fdatasync, writeSync } from 'node:fs';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pathExists } from '../../common/path-exists.js';
import {
  PARTIAL_SUFFIX,
  PG_TIMELINE_ID,
  parseSegmentFileName,
  segmentFileName,
  type SegmentNumber,
} from '../../postgres/segment-name.js';

export const ZERO_FILL_CHUNK_BYTES = 1024 * 1024;
const ZEROS = Buffer.alloc(ZERO_FILL_CHUNK_BYTES);

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

/** Writes zeros over [fromOffset, toOffset) of an open file. */
export async function zeroFill(
  handle: FileHandle,
  fromOffset: number,
  toOffset: number,
): Promise<void> {
  for (let offset = fromOffset; offset < toOffset; offset += ZERO_FILL_CHUNK_BYTES) {
    const length = Math.min(ZERO_FILL_CHUNK_BYTES, toOffset - offset);
    await handle.write(ZEROS, 0, length, offset);
  }
}

/** Creates `path` exclusively as a zero-filled file of `sizeBytes`, fsynced unless noSync. */
export async function createZeroFilledFile(
  path: string,
  sizeBytes: number,
  noSync: boolean,
): Promise<void> {
  const handle = await open(path, 'wx', 0o644);
  try {
    await zeroFill(handle, 0, sizeBytes);
    if (!noSync) await handle.sync();
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

/**
 * Writes all of `bytes` at `offset` of an open file, synchronously (a positional write may be
 * short). A write without O_SYNC only copies into the page cache: done on the event loop it
 * costs a few microseconds per 8 KiB, less than the thread-pool round trip of an asynchronous
 * write, which sat on the critical path of every commit. Durability comes from the fdatasync that
 * follows, which stays asynchronous.
 */
export function writeFullyAt(fd: number, bytes: Uint8Array, offset: number): void {
  let written = 0;
  while (written < bytes.length)
    written += writeSync(fd, bytes, written, bytes.length - written, offset + written);
}

/**
 * fdatasync of an open file. The callback API behind a promise: FileHandle.datasync() costs a
 * few more microseconds per call (its promise bookkeeping), and this runs once per commit.
 */
export const fdatasyncFile: (fd: number) => Promise<void> = promisify(fdatasync);
