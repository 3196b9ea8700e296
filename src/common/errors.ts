// The one error type of the project and the CLI exit codes (ARCHITECTURE.md §4).
// Library code throws AppError; only the CLI base command turns it into output and an exit code.

export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  usage: 2,
  badConfig: 3,
  notFound: 4,
  wrongState: 5,
  unavailable: 6,
  timedOut: 7,
  integrity: 8,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Stable machine-readable codes, shown in `--json` errors; each maps to one exit code. */
export type ErrorCode =
  | 'internal'
  | 'usage'
  | 'bad-config'
  | 'not-found'
  | 'wrong-state'
  | 'port-in-use'
  | 'not-ours'
  | 'unavailable'
  | 'timed-out'
  | 'integrity'
  | 'start-failed'
  | 'stop-failed';

const EXIT_CODE_BY_ERROR_CODE: Record<ErrorCode, ExitCode> = {
  internal: EXIT_CODES.internal,
  usage: EXIT_CODES.usage,
  'bad-config': EXIT_CODES.badConfig,
  'not-found': EXIT_CODES.notFound,
  'wrong-state': EXIT_CODES.wrongState,
  'port-in-use': EXIT_CODES.wrongState,
  'not-ours': EXIT_CODES.wrongState,
  unavailable: EXIT_CODES.unavailable,
  'timed-out': EXIT_CODES.timedOut,
  integrity: EXIT_CODES.integrity,
  'start-failed': EXIT_CODES.internal,
  'stop-failed': EXIT_CODES.internal,
};

export interface AppErrorOptions {
  hints?: readonly string[];
  cause?: unknown;
  /** Overrides the exit code derived from the error code (e.g. a start that failed on a port). */
  exitCode?: ExitCode;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  readonly hints: readonly string[];

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT_CODE_BY_ERROR_CODE[code];
    this.hints = options.hints ?? [];
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Any thrown value as an Error (a non-Error becomes one with its text). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** The message of any thrown value, for wrapping and logging. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
