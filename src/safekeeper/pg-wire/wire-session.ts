// One connection to the WAL service, put together: a WireConnection (frames, writes, failure)
// whose frames go to the StartupHandshake until a StartupMessage is accepted, then to a
// QueryRouter and the modes it starts. A bad frame or a protocol violation ends this connection
// only, with an ErrorResponse first whenever the socket still takes one. It must not handle any
// frame itself: each phase owns its frames.
import type { Socket } from 'node:net';
import type { WireFrame } from '../../postgres/wire/frame-reader.js';
import { unexpectedFrame, type ServiceContext } from './mode-handler.js';
import { QueryRouter } from './query-router.js';
import { WireConnection, type FrameConsumer } from './wire-connection.js';
import { StartupHandshake } from './wire-startup.js';

export interface SessionOptions extends ServiceContext {
  readonly connectionId: number;
}

export class WireSession implements FrameConsumer {
  private readonly connection: WireConnection;
  private readonly handshake: StartupHandshake;
  private router: QueryRouter | undefined;

  constructor(
    socket: Socket,
    private readonly options: SessionOptions,
  ) {
    this.connection = new WireConnection(socket, options.log);
    this.handshake = new StartupHandshake(this.connection, options.connectionId, options.log);
  }

  start(): void {
    this.handshake.start();
    this.connection.start(this);
  }

  step(): Promise<void> {
    const router = this.router;
    if (router !== undefined) return router.step();
    return this.onStartupFrame(this.connection.take());
  }

  closed(): void {
    this.handshake.close();
    this.router?.close();
  }

  private async onStartupFrame(frame: WireFrame): Promise<void> {
    // Until a StartupMessage is read the reader frames startup packets only.
    if (frame.kind !== 'startup') throw unexpectedFrame(frame, 'before the startup');
    const identity = await this.handshake.answer(frame.code, frame.body);
    if (identity === undefined || this.connection.isEnded) return;
    const { nodeId, registry, log } = this.options;
    this.router = new QueryRouter(this.connection, identity, { nodeId, registry, log });
  }
}
