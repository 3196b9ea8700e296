// A walproposer's connection to one safekeeper: START_WAL_PUSH over the PostgreSQL wire
// protocol, proposer messages out and acceptor messages in, each one CopyData frame. The link
// also carries what the proposer knows about that acceptor in the current term. Reconnecting is
// the proposer's decision; a link only reports that it went down and why.
import { describeError } from '../common/errors.js';
import type { TenantId, TimelineId } from '../common/hex-id.js';
import type { Lsn } from '../postgres/lsn.js';
import { WireClient, WireServerError } from '../postgres/wire/wire-client.js';
import { decodeAcceptorMessage, encodeProposerMessage } from '../protocol/proposer-codec.js';
import type {
  AcceptorMessage,
  ProposerMessage,
  VoteResponse,
} from '../protocol/proposer-messages.js';

export interface AcceptorEndpoint {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

interface LinkListener {
  onMessage(link: AcceptorLink, message: AcceptorMessage): void;
  onDown(link: AcceptorLink, reason: string): void;
}

type LinkState = 'down' | 'connecting' | 'up';

/** Startup parameters naming the timeline (neon's spellings) and who is connecting. */
export function timelineParameters(
  tenantId: TenantId,
  timelineId: TimelineId,
  applicationName: string,
): Record<string, string> {
  return { ztenantid: tenantId, ztimelineid: timelineId, application_name: applicationName };
}

export class AcceptorLink {
  state: LinkState = 'down';
  /** Why the link last went down (shown when a quorum cannot be reached). */
  lastError: string | undefined;
  /** The last failure was the safekeeper refusing us (an ErrorResponse), not the network. */
  refused = false;
  // What the proposer knows in its current term; reset when the connection is lost.
  greetedTerm: bigint | undefined;
  vote: VoteResponse | undefined;
  elected = false;
  /** Where this acceptor's stream started in this connection, and the next LSN to send. */
  streamStartLsn: Lsn = 0n;
  nextLsn: Lsn = 0n;
  /** flush_lsn acknowledged in the proposer's term: durable there, kept across reconnects. */
  ackedFlushLsn: Lsn = 0n;
  /** commit_lsn sent to this acceptor last. */
  sentCommitLsn: Lsn = 0n;
  /** commit_lsn the acceptor reported last. */
  ackedCommitLsn: Lsn = 0n;
  /** The socket asked for a drain: sending waits for it. */
  draining = false;
  private client: WireClient | undefined;
  private connection = 0;

  constructor(
    readonly endpoint: AcceptorEndpoint,
    private readonly parameters: Readonly<Record<string, string>>,
    private readonly listener: LinkListener,
  ) {}

  get name(): string {
    return `safekeeper ${this.endpoint.id}`;
  }

  /** Connects and starts the push; `first` is sent at once (the greeting). */
  async connect(first: ProposerMessage, timeoutMs: number): Promise<void> {
    if (this.state !== 'down') return;
    this.state = 'connecting';
    const connection = ++this.connection;
    try {
      const client = await WireClient.connect({
        host: this.endpoint.host,
        port: this.endpoint.port,
        parameters: this.parameters,
        connectTimeoutMs: timeoutMs,
      });
      if (connection !== this.connection) {
        client.destroy();
        return;
      }
      this.client = client;
      client.onClose((error) => this.lost(connection, error ?? new Error('connection closed')));
      client.onCopyData((payload) => this.receive(connection, payload));
      await client.startCopyBoth('START_WAL_PUSH');
      this.state = 'up';
      this.send(first);
    } catch (error) {
      this.lost(connection, error);
    }
  }

  private receive(connection: number, payload: Buffer): void {
    if (connection !== this.connection) return;
    let message: AcceptorMessage;
    try {
      message = decodeAcceptorMessage(payload);
    } catch (error) {
      this.lost(connection, error);
      return;
    }
    this.listener.onMessage(this, message);
  }

  /** Sends one message; false when the socket wants a drain before more. */
  send(message: ProposerMessage): boolean {
    const client = this.client;
    if (client === undefined || this.state !== 'up') return true;
    return client.sendCopyData(encodeProposerMessage(message));
  }

  /**
   * Sends an AppendRequest from its encoded tag and header and its WAL (`walParts`, not
   * copied); false as for send().
   */
  sendAppend(head: Uint8Array, walParts: readonly Uint8Array[]): boolean {
    const client = this.client;
    if (client === undefined || this.state !== 'up') return true;
    return client.sendCopyDataParts([head, ...walParts]);
  }

  /** Resolves once the socket drained, or at once when the connection is gone (never rejects). */
  waitForDrain(): Promise<void> {
    return (this.client?.waitForDrain() ?? Promise.resolve()).catch(() => undefined);
  }

  private lost(connection: number, error: unknown): void {
    if (connection !== this.connection || this.state === 'down') return;
    this.connection++;
    this.state = 'down';
    this.client?.destroy();
    this.client = undefined;
    this.refused = error instanceof WireServerError;
    this.lastError = describeError(error);
    this.greetedTerm = undefined;
    this.vote = undefined;
    this.elected = false;
    this.draining = false;
    this.listener.onDown(this, this.lastError);
  }

  /** Drops the connection as lost for `reason` (reported to the listener, state reset). */
  drop(reason: string): void {
    this.lost(this.connection, new Error(reason));
  }

  /** Ends the connection (Terminate) without reporting it as lost. */
  close(): void {
    this.connection++;
    this.state = 'down';
    this.client?.close();
    this.client = undefined;
  }
}
