// A walproposer's connection to one safekeeper: START_WAL_PUSH over the PostgreSQL wire
// protocol, proposer messages out and acceptor messages in, each one CopyData frame. The link
// owns the connection's state only (down, connecting, up, and why it last went down); what the
// proposer knows about the acceptor in its term is kept by the campaign and the WAL streamer.
// Reconnecting is the supervisor's decision; a link only reports that it went down and why.
import { describeError } from '../common/errors.js';
import type { TenantId, TimelineId } from '../common/hex-id.js';
import { WireClient, WireServerError } from '../postgres/wire/wire-client.js';
import { decodeAcceptorMessage, encodeProposerMessage } from '../protocol/proposer-codec.js';
import type { AcceptorMessage, ProposerMessage } from '../protocol/proposer-messages.js';

export interface AcceptorEndpoint {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

export interface LinkListener {
  onMessage(link: AcceptorLink, message: AcceptorMessage): void;
  onDown(link: AcceptorLink, reason: string): void;
}

export type LinkState = 'down' | 'connecting' | 'up';

/** Startup parameters naming the timeline (neon's spellings) and who is connecting. */
export function timelineParameters(
  tenantId: TenantId,
  timelineId: TimelineId,
  applicationName: string,
): Record<string, string> {
  return { ztenantid: tenantId, ztimelineid: timelineId, application_name: applicationName };
}

function ignoreError(): void {
  // A drain that fails means the connection is gone; its loss is reported through onDown.
}

export class AcceptorLink {
  private linkState: LinkState = 'down';
  private lastErrorText: string | undefined;
  private refusedUs = false;
  private client: WireClient | undefined;
  /** Counts connections: events of an earlier connection are ignored. */
  private connection = 0;

  constructor(
    readonly endpoint: AcceptorEndpoint,
    private readonly parameters: Readonly<Record<string, string>>,
    private readonly listener: LinkListener,
  ) {}

  get name(): string {
    return `safekeeper ${this.endpoint.id}`;
  }
  get state(): LinkState {
    return this.linkState;
  }
  /** Why the link last went down (shown when a quorum cannot be reached). */
  get lastError(): string | undefined {
    return this.lastErrorText;
  }
  /** The last failure was the safekeeper refusing us (an ErrorResponse), not the network. */
  get refused(): boolean {
    return this.refusedUs;
  }

  /** Connects and starts the push; `first` is sent at once (the greeting). */
  async connect(first: ProposerMessage, timeoutMs: number): Promise<void> {
    if (this.linkState !== 'down') return;
    this.linkState = 'connecting';
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
      this.linkState = 'up';
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
    if (client === undefined || this.linkState !== 'up') return true;
    return client.sendCopyData(encodeProposerMessage(message));
  }

  /**
   * Sends an AppendRequest from its encoded tag and header and its WAL (`walParts`, not
   * copied); false as for send().
   */
  sendAppend(head: Uint8Array, walParts: readonly Uint8Array[]): boolean {
    const client = this.client;
    if (client === undefined || this.linkState !== 'up') return true;
    return client.sendCopyDataParts([head, ...walParts]);
  }

  /** Resolves once the socket drained, or at once when the connection is gone (never rejects). */
  waitForDrain(): Promise<void> {
    return (this.client?.waitForDrain() ?? Promise.resolve()).catch(ignoreError);
  }

  private lost(connection: number, error: unknown): void {
    if (connection !== this.connection || this.linkState === 'down') return;
    this.connection++;
    this.linkState = 'down';
    this.client?.destroy();
    this.client = undefined;
    this.refusedUs = error instanceof WireServerError;
    this.lastErrorText = describeError(error);
    this.listener.onDown(this, this.lastErrorText);
  }

  /** Drops the connection as lost for `reason` (reported to the listener). */
  drop(reason: string): void {
    this.lost(this.connection, new Error(reason));
  }

  /** Ends the connection (Terminate) without reporting it as lost. */
  close(): void {
    this.connection++;
    this.linkState = 'down';
    this.client?.close();
    this.client = undefined;
  }
}
