// The WAL service port (--listen-pg). The WAL service itself (startup, START_WAL_PUSH, the
// acceptor protocol) comes with a later issue; until then the port is bound, so that conflicts
// show at start, and every connection gets a FATAL ErrorResponse saying so, then is closed.
import { createServer, type Server } from 'node:net';
import type { Logger } from '../../common/log.js';
import {
  encodeErrorResponse,
  SQLSTATE_FEATURE_NOT_SUPPORTED,
} from '../../postgres/wire/error-response.js';

const NOT_AVAILABLE_MESSAGE = 'the WAL service of this safekeeper is not implemented yet';

export function createWalServiceListener(log: Logger): Server {
  return createServer((socket) => {
    socket.on('error', (error) => log.warn({ err: error.message }, 'WAL service connection error'));
    socket.end(encodeErrorResponse('FATAL', SQLSTATE_FEATURE_NOT_SUPPORTED, NOT_AVAILABLE_MESSAGE));
  });
}
