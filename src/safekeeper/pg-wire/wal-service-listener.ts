// The WAL service port (--listen-pg): a PostgreSQL v3 wire server with trust authentication.
// Each connection runs a WireSession (startup, simple queries, CopyBoth); this module only
// accepts sockets, keeps track of them, and ends them all at shutdown.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../common/log.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import { WireSession } from './wire-session.js';

export interface WalServiceOptions {
  readonly nodeId: number;
  readonly registry: TimelineRegistry;
  readonly log: Logger;
}

export interface WalService {
  readonly server: Server;
  /** Destroys every open connection; a step in flight still completes, under the timeline lock. */
  closeConnections(): void;
}

export function createWalService(options: WalServiceOptions): WalService {
  const sockets = new Set<Socket>();
  let nextConnectionId = 1;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const connectionId = nextConnectionId++;
    const log = options.log.child({ connection: connectionId });
    new WireSession(socket, { ...options, log, connectionId }).start();
  });
  return {
    server,
    closeConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}
