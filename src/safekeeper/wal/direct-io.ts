// How WAL reaches the disk: O_DIRECT writes of whole aligned blocks from memory the daemon owns,
// with O_DSYNC so that a write is durable when it returns (unless --no-sync). Direct I/O skips the
// page cache: no copy into it, no writeback, and no new page-cache memory per segment, which on a
// VM whose free memory goes back to the host costs about 1 ms of CPU per MiB touched. O_DIRECT
// needs the buffer's address, the file offset and the length aligned to the device's block size;
// Node's allocator aligns to 16 bytes, WebAssembly memory to the OS page, so aligned buffers are
// WebAssembly memories. A filesystem without O_DIRECT is detected once per filesystem and gets the
// same aligned writes through the page cache.
import { constants, read, write, writeSync } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assert } from '../../common/assert.js';

/** Offsets, lengths and buffer addresses of direct I/O are multiples of this (4 KiB devices too). */
export const DIRECT_IO_ALIGNMENT_BYTES = 4096;
const WASM_PAGE_BYTES = 64 * 1024;
const ZERO_FILL_CHUNK_BYTES = 1024 * 1024;
const PROBE_FILE_NAME = 'wal-direct-io.probe';

/** WebAssembly's Memory, typed here: the compiler's libs for Node do not declare WebAssembly. */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
const WasmMemory = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory };
  }
).WebAssembly.Memory;

const writeAt = promisify(write);
const readAt = promisify(read);

/** How segment files are opened for writing. */
export interface WalIoMode {
  /** O_DIRECT: the filesystem accepts it (see probeDirectIo). */
  readonly direct: boolean;
  /** O_DSYNC: every write is durable when it returns (off with --no-sync). */
  readonly sync: boolean;
}

/** Open flags for writing a segment file in `mode` (add O_CREAT | O_EXCL to create one). */
export function segmentWriteFlags(mode: WalIoMode): number {
  return (
    constants.O_RDWR | (mode.direct ? constants.O_DIRECT : 0) | (mode.sync ? constants.O_DSYNC : 0)
  );
}

/** `flags` plus exclusive creation. */
export function createFlags(flags: number): number {
  return flags | constants.O_CREAT | constants.O_EXCL;
}

export function alignDown(offset: number): number {
  return offset - (offset % DIRECT_IO_ALIGNMENT_BYTES);
}

export function alignUp(offset: number): number {
  return alignDown(offset + DIRECT_IO_ALIGNMENT_BYTES - 1);
}

/** A zeroed buffer of `bytes` (a multiple of the alignment) whose address is page-aligned. */
export function allocateAlignedBuffer(bytes: number): Buffer {
  assert(
    bytes > 0 && bytes % DIRECT_IO_ALIGNMENT_BYTES === 0,
    () => `aligned buffer size ${bytes} is a positive multiple of ${DIRECT_IO_ALIGNMENT_BYTES}`,
  );
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
  const memory = new WasmMemory({ initial: pages, maximum: pages });
  return Buffer.from(memory.buffer, 0, bytes);
}

/** Never written: the source of every zero-fill. */
const ZEROS = allocateAlignedBuffer(ZERO_FILL_CHUNK_BYTES);

/** Writes all of `bytes[from, to)` at `offset` of an open file (a positional write may be short). */
export async function writeAllAt(
  fd: number,
  bytes: Uint8Array,
  from: number,
  to: number,
  offset: number,
): Promise<void> {
  for (let done = from; done < to;) {
    const { bytesWritten } = await writeAt(fd, bytes, done, to - done, offset + done - from);
    done += bytesWritten;
  }
}

/** writeAllAt on the calling thread: the event loop waits for the write (and its O_DSYNC). */
export function writeAllAtBlocking(
  fd: number,
  bytes: Uint8Array,
  from: number,
  to: number,
  offset: number,
): void {
  for (let done = from; done < to;)
    done += writeSync(fd, bytes, done, to - done, offset + done - from);
}

/** Reads `length` bytes at `offset` into the start of `into`; returns how many existed. */
export async function readAtMost(
  fd: number,
  into: Uint8Array,
  length: number,
  offset: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await readAt(fd, into, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Reads the aligned block holding `offset` into the start of `block` (at least one block long),
 * with zeros from `offset` on: the segment past the end of WAL is zeros, whatever a torn write
 * left there.
 */
export async function readHeadBlock(fd: number, block: Buffer, offset: number): Promise<void> {
  block.fill(0, 0, DIRECT_IO_ALIGNMENT_BYTES);
  const blockOffset = alignDown(offset);
  await readAtMost(fd, block, DIRECT_IO_ALIGNMENT_BYTES, blockOffset);
  block.fill(0, offset - blockOffset, DIRECT_IO_ALIGNMENT_BYTES);
}

/** Writes zeros over [fromOffset, toOffset) of an open file (with O_DIRECT: both ends aligned). */
export async function writeZeros(fd: number, fromOffset: number, toOffset: number): Promise<void> {
  for (let offset = fromOffset; offset < toOffset; offset += ZERO_FILL_CHUNK_BYTES) {
    const length = Math.min(ZERO_FILL_CHUNK_BYTES, toOffset - offset);
    await writeAllAt(fd, ZEROS, 0, length, offset);
  }
}

function isUnsupported(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EINVAL';
}

/** Probe results by filesystem (device number): the timelines of a daemon share one. */
const probedDevices = new Map<number, Promise<boolean>>();

/**
 * Whether `dir`'s filesystem takes O_DIRECT writes of aligned blocks from aligned memory: a
 * probe file is created, written once and removed, once per filesystem in a process. EINVAL
 * (tmpfs on older kernels, some FUSE and network filesystems) means no; any other error is
 * thrown (and not remembered).
 */
export async function probeDirectIo(dir: string): Promise<boolean> {
  const { dev } = await stat(dir);
  let probe = probedDevices.get(dev);
  if (probe === undefined) {
    probe = probeDirectIoOnce(dir);
    probedDevices.set(dev, probe);
    probe.catch(() => probedDevices.delete(dev));
  }
  return probe;
}

async function probeDirectIoOnce(dir: string): Promise<boolean> {
  const path = join(dir, PROBE_FILE_NAME);
  await rm(path, { force: true });
  let handle;
  try {
    handle = await open(path, createFlags(segmentWriteFlags({ direct: true, sync: false })), 0o644);
  } catch (error) {
    if (isUnsupported(error)) return false;
    throw error;
  }
  try {
    await writeAllAt(handle.fd, ZEROS, 0, DIRECT_IO_ALIGNMENT_BYTES, 0);
    return true;
  } catch (error) {
    if (isUnsupported(error)) return false;
    throw error;
  } finally {
    await handle.close();
    await rm(path, { force: true });
  }
}
