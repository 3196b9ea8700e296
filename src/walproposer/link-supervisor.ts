// Connection supervision of a walproposer: one link per safekeeper, all connected at the start,
// each reconnected RECONNECT_DELAY_MS after it went down, until stopped; when so many safekeepers
// refuse us (an ErrorResponse, not the network) that no quorum can exist, it says so instead of
// retrying. Knows nothing of terms or WAL: the greeting every connection opens with is given,
// and what a lost connection means for the term is the proposer's to decide.
import { AppError } from '../common/errors.js';
import type { AcceptorMessage, ProposerGreeting } from '../protocol/proposer-messages.js';
import { AcceptorLink, type AcceptorEndpoint } from './acceptor-link.js';

const CONNECT_TIMEOUT_MS = 2_000;
const RECONNECT_DELAY_MS = 250;

/** What the supervisor reports, per acceptor index (the position of its endpoint). */
export interface SupervisedListener {
  onMessage(index: number, message: AcceptorMessage): void;
  onDown(index: number, reason: string): void;
}

export class LinkSupervisor {
  readonly links: readonly AcceptorLink[];
  private readonly reconnectTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    endpoints: readonly AcceptorEndpoint[],
    parameters: Readonly<Record<string, string>>,
    private readonly greeting: ProposerGreeting,
    private readonly quorum: number,
    listener: SupervisedListener,
  ) {
    this.links = endpoints.map(
      (endpoint, index) =>
        new AcceptorLink(endpoint, parameters, {
          onMessage: (_link, message) => listener.onMessage(index, message),
          onDown: (_link, reason) => listener.onDown(index, reason),
        }),
    );
  }

  connectAll(): void {
    for (const link of this.links) void this.connect(link);
  }

  /**
   * Decides what follows the loss of link `index`: an error when too many safekeepers refuse us
   * for a quorum to exist (they will keep doing so: a different system id, a broken timeline),
   * else undefined and a reconnect is scheduled.
   */
  afterLoss(index: number): AppError | undefined {
    if (this.stopped) return undefined;
    const refusing = this.links.filter((link) => link.state === 'down' && link.refused);
    if (refusing.length > this.links.length - this.quorum)
      return new AppError(
        'wrong-state',
        `no quorum is possible: ${refusing.map((l) => `${l.name} refused: ${l.lastError ?? ''}`).join('; ')}`,
      );
    const link = this.links[index] as AcceptorLink;
    const timer = setTimeout(() => {
      this.reconnectTimers.delete(timer);
      void this.connect(link);
    }, RECONNECT_DELAY_MS);
    this.reconnectTimers.add(timer);
    return undefined;
  }

  /** Ends every connection and stops reconnecting. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.reconnectTimers) clearTimeout(timer);
    this.reconnectTimers.clear();
    for (const link of this.links) link.close();
  }

  private async connect(link: AcceptorLink): Promise<void> {
    if (this.stopped) return;
    await link.connect(this.greeting, CONNECT_TIMEOUT_MS);
  }
}
