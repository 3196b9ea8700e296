// START_WAL_PUSH (neon-reference §7.1): the acceptor protocol over CopyBoth. Each CopyData is a
// proposer message; every CopyData already queued is one batch (consecutive appends share one
// flush), and its replies are framed in place and written corked. CopyDone, CopyFail or
// Terminate end the connection. It must not hold frames back or add work per frame: this is the
// WAL service's hot path.
import { encodeCopyBothResponse } from '../../postgres/wire/backend-messages.js';
import { COPY_DATA_HEADER_BYTES, copyDataInPlace } from '../../postgres/wire/copy-messages.js';
import { decodeProposerMessage, encodeAcceptorMessage } from '../../protocol/proposer-codec.js';
import type { ProposerMessage } from '../../protocol/proposer-messages.js';
import { Acceptor } from '../protocol/acceptor.js';
import {
  unexpectedFrame,
  type CommandContext,
  type ModeEnd,
  type ModeHandler,
} from './mode-handler.js';
import type { WireConnection } from './wire-connection.js';

const DONE = Promise.resolve();

export class WalPushHandler implements ModeHandler {
  private readonly connection: WireConnection;
  private readonly acceptor: Acceptor;
  private end: (outcome: ModeEnd) => void = () => undefined;

  constructor(context: CommandContext) {
    const { tenantId, timelineId } = context.session;
    this.connection = context.connection;
    this.acceptor = new Acceptor({
      nodeId: BigInt(context.nodeId),
      tenantId,
      timelineId,
      registry: context.registry,
      log: context.log.child({ tenant: tenantId, timeline: timelineId }),
    });
  }

  async begin(end: (outcome: ModeEnd) => void): Promise<void> {
    this.end = end;
    await this.connection.write([encodeCopyBothResponse()]);
  }

  step(): Promise<void> {
    const front = this.connection.peek();
    if (front?.kind === 'message' && front.type === 'd') return this.pushBatch();
    const frame = this.connection.take();
    if (
      frame.kind === 'message' &&
      (frame.type === 'c' || frame.type === 'f' || frame.type === 'X')
    ) {
      this.end({ kind: 'terminate' });
      return DONE;
    }
    throw unexpectedFrame(frame, 'during START_WAL_PUSH');
  }

  close(): void {
    this.acceptor.close();
  }

  /** Every CopyData frame already here is one batch: consecutive appends share one flush. */
  private async pushBatch(): Promise<void> {
    const messages: ProposerMessage[] = [];
    for (
      let frame = this.connection.peek();
      frame?.kind === 'message' && frame.type === 'd';
      frame = this.connection.peek()
    )
      messages.push(decodeProposerMessage(this.connection.take().body));
    const replies = await this.acceptor.process(messages);
    await this.connection.write(
      replies.map((reply) => copyDataInPlace(encodeAcceptorMessage(reply, COPY_DATA_HEADER_BYTES))),
    );
  }
}
