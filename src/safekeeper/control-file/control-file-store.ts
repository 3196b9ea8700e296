// Durable storage of one timeline's control file. Every persist is atomic: write
// `safekeeper.control.partial`, fsync it, rename it over `safekeeper.control`, fsync the timeline
// directory (the rename's durability; fsyncs skipped with --no-sync); only then does the "persisted" copy
// change. Loading verifies the envelope (codec) and the state's invariants; a file in an older
// format version is upgraded and rewritten at once.
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../common/errors.js';
import { assert } from '../../common/assert.js';
import { fsyncPath } from '../../common/fsync-path.js';
import {
  CONTROL_FILE_VERSION,
  decodeControlFile,
  encodeControlFile,
  type DecodedControlFile,
} from './control-file-codec.js';
import type { SafekeeperState } from './safekeeper-state.js';
import { describeStateViolation } from './state-invariants.js';

export const CONTROL_FILE_NAME = 'safekeeper.control';
const TEMP_SUFFIX = '.partial';

export interface ControlFileStoreOptions {
  readonly noSync: boolean;
  /** Called with the duration of each successful persist (for the histogram). */
  readonly observePersistSeconds?: (seconds: number) => void;
}

/** Writes `state` atomically to `<dir>/safekeeper.control`, reporting the time it took. */
export async function writeControlFileAtomically(
  dir: string,
  state: SafekeeperState,
  options: ControlFileStoreOptions,
): Promise<void> {
  const startedAt = performance.now();
  const noSync = options.noSync;
  const problem = describeStateViolation(state);
  assert(problem === undefined, () => `refusing to persist an invalid state: ${problem ?? ''}`);
  const finalPath = join(dir, CONTROL_FILE_NAME);
  const tempPath = finalPath + TEMP_SUFFIX;
  const handle = await open(tempPath, 'w', 0o644);
  try {
    await handle.writeFile(encodeControlFile(state));
    if (!noSync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tempPath, finalPath);
  // The file's bytes were synced before the rename; the rename itself lives in the directory.
  if (!noSync) await fsyncPath(dir);
  options.observePersistSeconds?.((performance.now() - startedAt) / 1000);
}

/** Reads and fully checks a control file; errors are AppError('integrity') or 'not-found'. */
export async function readControlFile(path: string): Promise<DecodedControlFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AppError('not-found', `no control file at ${path}`);
    throw new AppError('internal', `could not read control file ${path}: ${code ?? ''}`, {
      cause: error,
    });
  }
  const decoded = decodeControlFile(bytes, `control file ${path}`);
  const problem = describeStateViolation(decoded.state);
  if (problem !== undefined) throw new AppError('integrity', `control file ${path}: ${problem}`);
  return decoded;
}

export class ControlFileStore {
  private persistedState: SafekeeperState;
  private lastPersistAt: number;

  private constructor(
    readonly dir: string,
    state: SafekeeperState,
    private readonly options: ControlFileStoreOptions,
  ) {
    this.persistedState = state;
    this.lastPersistAt = performance.now();
  }

  /** Loads `<dir>/safekeeper.control`; `upgraded` tells whether an old version was rewritten. */
  static async load(
    dir: string,
    options: ControlFileStoreOptions,
  ): Promise<{ store: ControlFileStore; upgradedFromVersion: number | undefined }> {
    const { state, version } = await readControlFile(join(dir, CONTROL_FILE_NAME));
    const store = new ControlFileStore(dir, state, options);
    if (version === CONTROL_FILE_VERSION) return { store, upgradedFromVersion: undefined };
    await store.persist(state);
    return { store, upgradedFromVersion: version };
  }

  /** The state as last made durable. */
  get state(): SafekeeperState {
    return this.persistedState;
  }

  /** Milliseconds since the last successful persist (or since load). */
  msSinceLastPersist(nowMs = performance.now()): number {
    return nowMs - this.lastPersistAt;
  }

  async persist(state: SafekeeperState): Promise<void> {
    await writeControlFileAtomically(this.dir, state, this.options);
    this.persistedState = state;
    this.lastPersistAt = performance.now();
  }
}
