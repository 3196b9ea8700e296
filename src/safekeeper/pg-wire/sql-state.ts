// The SQLSTATE a failed command or protocol step is answered with, by AppError code.
import { isAppError, type ErrorCode } from '../../common/errors.js';

export const SQLSTATE = {
  protocolViolation: '08P01',
  featureNotSupported: '0A000',
  syntaxError: '42601',
  undefinedObject: '42704',
  objectNotInPrerequisiteState: '55000',
  dataCorrupted: 'XX001',
  internalError: 'XX000',
  invalidParameterValue: '22023',
  connectionFailure: '08006',
} as const;

const SQLSTATE_BY_CODE: Partial<Record<ErrorCode, string>> = {
  usage: SQLSTATE.protocolViolation,
  'not-found': SQLSTATE.undefinedObject,
  'wrong-state': SQLSTATE.objectNotInPrerequisiteState,
  integrity: SQLSTATE.dataCorrupted,
  unavailable: SQLSTATE.connectionFailure,
};

export function sqlStateOf(error: unknown): string {
  return (isAppError(error) ? SQLSTATE_BY_CODE[error.code] : undefined) ?? SQLSTATE.internalError;
}
