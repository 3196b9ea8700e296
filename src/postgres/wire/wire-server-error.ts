// The error a PostgreSQL server reported with an ErrorResponse, as seen by the wire client.
// The AppError code comes from the SQLSTATE class (08/53/57/58 unavailable, 55 wrong state,
// XX internal, anything else the client's mistake); the hint field becomes the AppError hint.
import { AppError, type ErrorCode } from '../../common/errors.js';
import type { DecodedErrorResponse } from './error-response.js';

const ERROR_CODE_BY_SQLSTATE_CLASS = new Map<string, ErrorCode>([
  ['08', 'unavailable'],
  ['53', 'unavailable'],
  ['57', 'unavailable'],
  ['58', 'unavailable'],
  ['55', 'wrong-state'],
  ['XX', 'internal'],
]);

export class WireServerError extends AppError {
  readonly sqlState: string;
  readonly severity: string;
  /** Every field of the ErrorResponse by its type character ('M' message, 'D' detail, ...). */
  readonly fields: ReadonlyMap<string, string>;

  /** `endpoint` is host:port of the server, named in the message. */
  constructor(response: DecodedErrorResponse, endpoint: string) {
    const hint = response.fields.get('H');
    super(
      ERROR_CODE_BY_SQLSTATE_CLASS.get(response.sqlState.slice(0, 2)) ?? 'usage',
      `server ${endpoint} replied ${response.severity} ${response.sqlState}: ${response.message}`,
      hint === undefined ? {} : { hints: [hint] },
    );
    this.name = 'WireServerError';
    this.sqlState = response.sqlState;
    this.severity = response.severity;
    this.fields = response.fields;
  }
}
