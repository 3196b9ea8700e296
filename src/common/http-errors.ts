// The one mapping between AppError codes and the admin API's HTTP errors
// ({"error":{"code","message"}} with a status): the daemon uses it to answer, the client to turn
// an answer back into the AppError (and so the CLI exit code) the daemon started from.
import { isAppError, type ErrorCode } from './errors.js';

interface HttpError {
  readonly status: number;
  readonly code: string;
}

const HTTP_ERRORS: Partial<Record<ErrorCode, HttpError>> = {
  usage: { status: 400, code: 'bad-request' },
  'not-found': { status: 404, code: 'not-found' },
  'wrong-state': { status: 409, code: 'conflict' },
  integrity: { status: 500, code: 'integrity' },
  unavailable: { status: 503, code: 'unavailable' },
};
const INTERNAL: HttpError = { status: 500, code: 'internal' };

/** The HTTP status and JSON code for an error thrown by a handler. */
export function httpErrorOf(error: unknown): HttpError {
  return (isAppError(error) ? HTTP_ERRORS[error.code] : undefined) ?? INTERNAL;
}

/** The AppError code behind an HTTP error answer (by its JSON code, else its status). */
export function errorCodeOfHttp(status: number, jsonCode: string | undefined): ErrorCode {
  const entries = Object.entries(HTTP_ERRORS) as [ErrorCode, HttpError][];
  const match =
    entries.find(([, http]) => http.code === jsonCode) ??
    entries.find(([, http]) => http.status === status);
  return match?.[0] ?? 'internal';
}
