// The seam between the query router and what a command runs: a CommandRoute answers a simple
// query, or returns a ModeHandler that takes the connection's frames over (START_WAL_PUSH,
// START_REPLICATION) until it reports how its mode ended. A new mode is one more route; this
// module holds only these contracts and the error for a frame a phase does not accept.
import { AppError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { WireFrame } from '../../postgres/wire/frame-reader.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import type { SessionIdentity } from './wire-startup.js';
import type { WireConnection } from './wire-connection.js';

/** What every connection of the WAL service shares. */
export interface ServiceContext {
  readonly nodeId: number;
  readonly registry: TimelineRegistry;
  readonly log: Logger;
}

/** One command, as the router hands it to its route. */
export interface CommandContext extends ServiceContext {
  /** The query text, trimmed and without a final semicolon. */
  readonly command: string;
  readonly connection: WireConnection;
  readonly session: SessionIdentity;
}

/** How a mode ended, and so what the router does next. */
export type ModeEnd =
  /** Done: CommandComplete and ReadyForQuery, then queries again. */
  | { readonly kind: 'complete'; readonly commandTag: string }
  /** Failed after it began: an ERROR and ReadyForQuery, then queries again. */
  | { readonly kind: 'failed'; readonly error: unknown }
  /** The client ended it in a way that ends the connection (Terminate, CopyDone of WAL push). */
  | { readonly kind: 'terminate' };

export interface ModeHandler {
  /**
   * The router made this the connection's mode: send what the mode opens with (CopyBothResponse)
   * and start any task of its own. `end` ends the mode; it may be called once, at any time.
   */
  begin(end: (outcome: ModeEnd) => void): Promise<void>;
  /** Takes and handles at least one queued frame while the mode is active; a throw is FATAL. */
  step(): Promise<void>;
  /** The mode is over (ended, or the connection is gone): stop and release. Idempotent. */
  close(): void;
}

export interface CommandRoute {
  /** The first word of the query, upper case. */
  readonly keyword: string;
  /**
   * Runs the command: either answers it (resolves to undefined) or returns the mode that takes
   * the connection over. A throw is answered with an ERROR; the connection stays usable.
   */
  run(context: CommandContext): Promise<ModeHandler | undefined>;
}

/** A frame the current phase does not accept: a protocol violation (FATAL). */
export function unexpectedFrame(frame: WireFrame, where: string): AppError {
  if (frame.kind === 'startup') return new AppError('usage', 'unexpected startup packet');
  return new AppError('usage', `unexpected message type '${printable(frame.type)}' ${where}`);
}

function printable(type: string): string {
  return /^[\x20-\x7e]$/.test(type)
    ? type
    : `\\x${type.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
