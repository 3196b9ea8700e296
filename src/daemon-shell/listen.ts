// A daemon's listen addresses (HOST:PORT flags), and binding and closing its servers (WAL
// service, HTTP): a port that cannot be bound is an AppError('wrong-state') naming the address
// and what it was for; closing ends every connection first, so that close() resolves even while
// clients hold idle keep-alive sockets.
import type { Server } from 'node:net';
import { AppError } from '../common/errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** "HOST:PORT" as given to a daemon's --listen-* flag; AppError('usage') naming the flag. */
export function parseListenAddressFlag(
  text: string,
  flag: string,
  hints: readonly string[] = [],
): ListenAddress {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AppError('usage', `invalid ${flag} "${text}": expected HOST:PORT`, { hints });
  }
  return { host: match[1], port };
}

export function listen(server: Server, address: ListenAddress, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new AppError(
          'wrong-state',
          `could not listen on ${address.host}:${address.port} (${what}): ${error.code ?? error.message}`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}

/**
 * A bound server as a supervised task: it runs until `signal` aborts (then `beforeClose` ends
 * the connections that never end by themselves, and the server closes) and fails if the server
 * emits an error or closes while nobody asked it to.
 */
export function serveUntilAborted(
  server: Server,
  signal: AbortSignal,
  beforeClose?: () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    };
    const onClose = (): void => {
      if (!signal.aborted) onError(new Error('the server closed unexpectedly'));
    };
    const onAbort = (): void => {
      server.off('error', onError);
      server.off('close', onClose);
      beforeClose?.();
      void closeServer(server).then(resolve);
    };
    server.once('error', onError);
    server.once('close', onClose);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
