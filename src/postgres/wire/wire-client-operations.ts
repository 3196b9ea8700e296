// The requests of the wire client as frame handlers: the startup exchange, a simple query
// collecting its result, the start of COPY BOTH and COPY BOTH itself. Each consumes the server's
// messages up to its ReadyForQuery (an ErrorResponse is kept until then). Sockets and connection
// state stay in wire-client.ts; a handler that throws makes the client end the connection.
import { AppError } from '../../common/errors.js';
import {
  AUTH_CODE_OK,
  decodeAuthentication,
  decodeBackendKeyData,
  decodeCommandComplete,
  decodeCopyResponse,
  decodeDataRow,
  decodeReadyForQuery,
  decodeRowDescription,
  type BackendKeyData,
} from './backend-messages.js';
import { decodeUtf8 } from '../../common/binary-reader.js';
import type { WireFrame } from './frame-reader.js';
import type { WireServerError } from './wire-server-error.js';

export interface QueryResult {
  columns: { name: string; typeOid: number }[];
  rows: (string | null)[][];
  commandTag: string;
}

export type MessageFrame = Extract<WireFrame, { kind: 'message' }>;

export interface ClientOperation {
  readonly kind: 'startup' | 'query' | 'copy-start' | 'copy-both';
  /** What is being waited for, e.g. "a simple query", for error messages. */
  readonly label: string;
  /** Handles a message other than ParameterStatus, NoticeResponse or NotificationResponse. */
  handle(frame: MessageFrame): void;
  /** Called once if the connection ends before the operation finished. */
  fail(error: Error): void;
}

/** What an operation needs from the client. */
export interface OperationContext {
  readonly endpoint: string;
  /** Decodes an ErrorResponse body. */
  serverError(body: Buffer): WireServerError;
  /** Marks the operation finished (the connection is ready for the next request). */
  finish(): void;
  /** Ends the connection with `error` (the operation's fail() follows). */
  fail(error: Error): void;
}

export function unexpectedMessage(frame: MessageFrame, during: string): AppError {
  return new AppError('internal', `unexpected message '${frame.type}' during ${during}`);
}

/** StartupMessage is sent; AuthenticationOk, BackendKeyData, then ReadyForQuery must follow. */
export function startupExchange(
  context: OperationContext,
  onBackendKey: (key: BackendKeyData) => void,
  onReady: () => void,
  reject: (error: Error) => void,
): ClientOperation {
  const label = 'the startup exchange';
  let isAuthenticated = false;
  return {
    kind: 'startup',
    label,
    handle(frame) {
      switch (frame.type) {
        case 'R': {
          const code = decodeAuthentication(frame.body);
          if (code === AUTH_CODE_OK) isAuthenticated = true;
          else context.fail(unsupportedAuthentication(context.endpoint, code));
          return;
        }
        case 'K':
          onBackendKey(decodeBackendKeyData(frame.body));
          return;
        case 'E':
          context.fail(context.serverError(frame.body));
          return;
        case 'Z':
          if (!isAuthenticated) throw unexpectedMessage(frame, `${label} before AuthenticationOk`);
          decodeReadyForQuery(frame.body);
          context.finish();
          onReady();
          return;
        default:
          throw unexpectedMessage(frame, label);
      }
    },
    fail: reject,
  };
}

export function simpleQueryCollector(
  context: OperationContext,
  resolve: (result: QueryResult) => void,
  reject: (error: Error) => void,
): ClientOperation {
  const label = 'a simple query';
  let columns: QueryResult['columns'] | undefined;
  const rows: QueryResult['rows'] = [];
  let commandTag: string | undefined;
  let error: Error | undefined;
  const noteSecondResult = (): void => {
    error ??= new AppError(
      'usage',
      `a simple query on ${context.endpoint} returned more than one result: send one statement at a time`,
    );
  };
  return {
    kind: 'query',
    label,
    handle(frame) {
      switch (frame.type) {
        case 'T':
          if (columns !== undefined) noteSecondResult();
          columns = decodeRowDescription(frame.body).map(({ name, typeOid }) => ({
            name,
            typeOid,
          }));
          return;
        case 'D':
          rows.push(decodeTextRow(frame.body, columns?.length ?? 0));
          return;
        case 'C':
        case 'I':
          if (commandTag !== undefined) noteSecondResult();
          commandTag = frame.type === 'C' ? decodeCommandComplete(frame.body) : '';
          return;
        case 'E':
          error ??= context.serverError(frame.body);
          return;
        case 'Z':
          if (error === undefined && commandTag === undefined)
            throw unexpectedMessage(frame, label);
          decodeReadyForQuery(frame.body);
          context.finish();
          if (error !== undefined) reject(error);
          else resolve({ columns: columns ?? [], rows, commandTag: commandTag ?? '' });
          return;
        default:
          throw unexpectedMessage(frame, label);
      }
    },
    fail: (closeError) => reject(error ?? closeError),
  };
}

export function copyBothStart(
  context: OperationContext,
  onStarted: () => void,
  reject: (error: Error) => void,
): ClientOperation {
  const label = 'the start of COPY BOTH';
  let error: Error | undefined;
  return {
    kind: 'copy-start',
    label,
    handle(frame) {
      switch (frame.type) {
        case 'W':
          decodeCopyResponse(frame.body);
          context.finish();
          onStarted();
          return;
        case 'E':
          error ??= context.serverError(frame.body);
          return;
        case 'T':
        case 'D':
        case 'C':
        case 'I':
          error ??= new AppError(
            'wrong-state',
            `the query on ${context.endpoint} did not start COPY BOTH: the server answered '${frame.type}'`,
          );
          return;
        case 'Z':
          if (error === undefined) throw unexpectedMessage(frame, label);
          decodeReadyForQuery(frame.body);
          context.finish();
          reject(error);
          return;
        default:
          throw unexpectedMessage(frame, label);
      }
    },
    fail: (closeError) => reject(error ?? closeError),
  };
}

/**
 * COPY BOTH after CopyBothResponse: CopyData goes to `deliver`; after the server's CopyDone and
 * CommandComplete, ReadyForQuery ends it. An ErrorResponse ends the connection.
 */
export function copyBothSession(
  context: OperationContext,
  deliver: (payload: Buffer) => void,
): ClientOperation {
  const label = 'COPY BOTH';
  return {
    kind: 'copy-both',
    label,
    handle(frame) {
      switch (frame.type) {
        case 'd':
          deliver(frame.body);
          return;
        case 'c':
        case 'C':
          return;
        case 'Z':
          decodeReadyForQuery(frame.body);
          context.finish();
          return;
        case 'E':
          context.fail(context.serverError(frame.body));
          return;
        default:
          throw unexpectedMessage(frame, label);
      }
    },
    fail: () => undefined,
  };
}

function unsupportedAuthentication(endpoint: string, code: number): AppError {
  return new AppError(
    'usage',
    `server ${endpoint} asks for authentication method ${code}; this client supports only trust`,
    { hints: ['Configure the server to trust this client (no password, no SASL).'] },
  );
}

/** A DataRow of text values; its column count must match the RowDescription. */
function decodeTextRow(body: Buffer, columnCount: number): (string | null)[] {
  const values = decodeDataRow(body);
  if (values.length !== columnCount) {
    throw new AppError(
      'internal',
      `a DataRow has ${values.length} columns where the RowDescription had ${columnCount}`,
    );
  }
  return values.map((value, index) =>
    value === null ? null : decodeUtf8(value, `the value of column ${index}`),
  );
}
