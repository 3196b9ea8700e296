// A walproposer: connects to every safekeeper of a timeline, campaigns for a term above every
// acceptor's, is elected by a majority, brings every acceptor to its term's base, then streams
// new WAL. This file is the public face and the wiring of its parts: connections
// (link-supervisor.ts), campaign.ts, term-settlement.ts and catch-up.ts, streaming and commit
// (wal-streamer.ts), the callers' waits (proposer-waiters.ts). It holds no per-acceptor state.
import { AssertionError } from '../common/assert.js';
import { AppError, describeError } from '../common/errors.js';
import { generateHexId, type TenantId, type TimelineId } from '../common/hex-id.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';
import { PG_TIMELINE_ID } from '../postgres/segment-name.js';
import {
  PROPOSER_PROTOCOL_VERSION,
  type AcceptorMessage,
  type VoteResponse,
} from '../protocol/proposer-messages.js';
import { timelineParameters, type AcceptorEndpoint, type AcceptorLink } from './acceptor-link.js';
import { Campaign } from './campaign.js';
import { CatchUp } from './catch-up.js';
import { quorumOf } from './election.js';
import { LinkSupervisor } from './link-supervisor.js';
import { ProposerWaiters } from './proposer-waiters.js';
import { settleTerm, type Election } from './term-settlement.js';
import { WalStreamer } from './wal-streamer.js';

export type { Election } from './term-settlement.js';

export interface WalProposerOptions {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly systemId: bigint;
  readonly segmentSizeBytes: number;
  readonly safekeepers: readonly AcceptorEndpoint[];
  /** Progress for a person (elections, catch-ups, lost acceptors); never required. */
  readonly onEvent?: (message: string) => void;
}

const PG_VERSION_15 = 150_000;

/** The proposer's term once elected: what was settled and the parts that carry it on. */
interface ElectedTerm {
  readonly election: Election;
  readonly streamer: WalStreamer;
  readonly catchUp: CatchUp;
}

export class WalProposer {
  private readonly supervisor: LinkSupervisor;
  private readonly links: readonly AcceptorLink[];
  private readonly quorum: number;
  private readonly proposerId = generateHexId();
  private readonly campaign: Campaign;
  private readonly waiters = new ProposerWaiters();
  private readonly wake = (): void => this.waiters.wake();
  private lifecycle: 'running' | 'failed' | 'closed' = 'running';
  private failure: AppError | undefined;
  private elected: ElectedTerm | undefined;
  private maxPsApplyLsn: Lsn = 0n;
  /** Acceptors reported down and not back yet: events tell state changes, not every retry. */
  private readonly reportedDown = new Set<number>();

  constructor(private readonly options: WalProposerOptions) {
    this.quorum = quorumOf(options.safekeepers.length);
    this.supervisor = new LinkSupervisor(
      options.safekeepers,
      timelineParameters(options.tenantId, options.timelineId, 'walproposer'),
      {
        tag: 'greeting',
        protocolVersion: PROPOSER_PROTOCOL_VERSION,
        pgVersion: PG_VERSION_15,
        proposerId: this.proposerId,
        systemId: options.systemId,
        timelineId: options.timelineId,
        tenantId: options.tenantId,
        pgTimeline: PG_TIMELINE_ID,
        walSegSize: options.segmentSizeBytes,
      },
      this.quorum,
      {
        onMessage: (index, message) => this.onMessage(index, message),
        onDown: (index, reason) => this.onDown(index, reason),
      },
    );
    this.links = this.supervisor.links;
    this.campaign = new Campaign(this.links, this.quorum, {
      onQuorumVoted: () => void this.settle(),
      onLateVote: (index, vote) => this.admitLate(index, vote),
      onEvent: options.onEvent,
    });
  }

  get commitLsn(): Lsn {
    return this.elected?.streamer.commitLsn ?? 0n;
  }

  /** The highest ps_applylsn (the pageserver's uploaded end) any AppendResponse carried. */
  get remoteConsistentLsn(): Lsn {
    return this.maxPsApplyLsn;
  }

  /**
   * Per acceptor (in the order given), the end of the WAL it acknowledged flushing in this term;
   * undefined for one never admitted to the term (down, not answering, or elected without it).
   */
  acknowledgedFlushLsns(): (Lsn | undefined)[] {
    const streamer = this.elected?.streamer;
    return this.links.map((_, index) =>
      streamer?.streamOf(index).isAdmitted === true
        ? streamer.acknowledgedFlushLsn(index)
        : undefined,
    );
  }

  /** Connects to every acceptor and resolves once elected, or rejects at the deadline. */
  async elect(deadlineMs: number): Promise<Election> {
    this.supervisor.connectAll();
    await this.waiters.until(
      () => this.elected !== undefined,
      deadlineMs,
      () => this.timeoutError('no quorum of safekeepers elected this proposer'),
    );
    return (this.elected as ElectedTerm).election;
  }

  /** Adds WAL (whole records, continuing the election's epochStartLsn) and streams it. */
  append(bytes: Uint8Array): void {
    this.requireElected().streamer.append(bytes);
  }

  /** Waits until no more than `maxBytes` of appended WAL is uncommitted. */
  async waitForRoom(maxBytes: number, deadlineMs: number): Promise<void> {
    const { streamer, election } = this.requireElected();
    const maxUncommitted = BigInt(maxBytes);
    // Until this term commits anything, its WAL counts from where the term started.
    const committed = (): Lsn =>
      streamer.commitLsn > election.epochStartLsn ? streamer.commitLsn : election.epochStartLsn;
    await this.waiters.until(
      () => streamer.endLsn - committed() <= maxUncommitted,
      deadlineMs,
      () => this.timeoutError(`WAL beyond ${formatLsn(committed())} is not committed by a quorum`),
    );
  }

  async waitForCommit(lsn: Lsn, deadlineMs: number): Promise<void> {
    await this.waiters.until(
      () => this.commitLsn >= lsn,
      deadlineMs,
      () =>
        this.timeoutError(
          `WAL up to ${formatLsn(lsn)} is not committed by a quorum (committed up to ${formatLsn(this.commitLsn)})`,
        ),
    );
  }

  /**
   * Sends the final commit_lsn to every connected acceptor that holds the WAL (an empty
   * AppendRequest) and waits, up to `deadlineMs`, for each of them to answer.
   */
  async announceCommit(deadlineMs: number): Promise<void> {
    const streamer = this.elected?.streamer;
    // Not elected: no acceptor was sent anything to acknowledge.
    if (streamer === undefined) return;
    const target = streamer.commitLsn;
    const truncateSent = streamer.truncateLsn;
    // Connected acceptors still being admitted or caught up are waited for too.
    const pending = streamer.announceCommit();
    await this.waiters
      .until(
        () => streamer.hasAcknowledged(pending, target),
        deadlineMs,
        () => undefined,
      )
      .catch(() => undefined);
    // The acceptors that were behind flushed meanwhile: tell everyone the WAL that all of them
    // hold now (their peer_horizon_lsn, which WAL removal waits for), as a walproposer that
    // keeps running would with its next append.
    if (streamer.truncateLsn <= truncateSent) return;
    const marks = streamer.announceTruncate();
    await this.waiters
      .until(
        () => streamer.hasAnswered(marks),
        deadlineMs,
        () => undefined,
      )
      .catch(() => undefined);
  }

  /** Ends every connection and stops reconnecting. */
  close(): void {
    this.lifecycle = 'closed';
    this.supervisor.stop();
    this.waiters.close();
  }

  /** A timed-out error naming what did not happen and the state of every acceptor. */
  timeoutError(what: string): AppError {
    const streamer = this.elected?.streamer;
    const details = this.links
      .map((link, index) => {
        if (link.state !== 'up') return `${link.name}: ${link.lastError ?? 'not connected'}`;
        if (streamer?.streamOf(index).isAdmitted !== true) return `${link.name}: connected`;
        return `${link.name}: flushed ${formatLsn(streamer.acknowledgedFlushLsn(index))}`;
      })
      .join('; ');
    return new AppError(
      'timed-out',
      `${what} (a quorum is ${this.quorum} of ${this.links.length}; ${details})`,
    );
  }

  private requireElected(): ElectedTerm {
    if (this.failure !== undefined) throw this.failure;
    if (this.elected === undefined || this.lifecycle !== 'running')
      throw new AppError('wrong-state', 'the walproposer is not elected');
    return this.elected;
  }

  private onMessage(index: number, message: AcceptorMessage): void {
    if (this.lifecycle !== 'running') return;
    try {
      switch (message.tag) {
        case 'greeting':
          if (this.reportedDown.delete(index))
            this.options.onEvent?.(`${(this.links[index] as AcceptorLink).name} is back`);
          this.campaign.onGreeting(index, message.term);
          return;
        case 'vote':
          this.campaign.onVote(index, message);
          return;
        case 'append':
          if (message.pageserverFeedback.psApplyLsn > this.maxPsApplyLsn)
            this.maxPsApplyLsn = message.pageserverFeedback.psApplyLsn;
          // Before the election no AppendRequest went out that this could answer.
          this.elected?.streamer.onAppendResponse(index, message);
          return;
      }
    } catch (error) {
      this.fail(asAppError(error));
    }
  }

  private onDown(index: number, reason: string): void {
    // What the term knew of this connection is void, whatever happens next.
    this.campaign.forget(index);
    this.elected?.streamer.detach(index);
    if (this.lifecycle !== 'running') return;
    if (!this.reportedDown.has(index)) {
      this.reportedDown.add(index);
      this.options.onEvent?.(`${(this.links[index] as AcceptorLink).name} is down: ${reason}`);
    }
    const impossible = this.supervisor.afterLoss(index);
    if (impossible !== undefined) {
      this.fail(impossible);
      return;
    }
    this.waiters.wake();
  }

  /** The campaign is won: settle the term, then admit every voter. */
  private async settle(): Promise<void> {
    try {
      const voters = this.campaign.voterIndices().map((index) => {
        const link = this.links[index] as AcceptorLink;
        const vote = this.campaign.voteOf(index) as VoteResponse;
        return { name: link.name, endpoint: link.endpoint, vote };
      });
      const settled = await settleTerm(voters, this.campaign.term, this.options);
      // Closed or failed while reading the donor's WAL.
      if (this.lifecycle !== 'running') return;
      const { election, buffer } = settled;
      const streamer = new WalStreamer(
        this.links,
        buffer,
        {
          ...election,
          proposerId: this.proposerId,
          truncateLsn: settled.truncateLsn,
          quorum: this.quorum,
        },
        this.wake,
      );
      const catchUp = new CatchUp(
        this.links,
        { ...election, history: settled.history },
        buffer,
        streamer,
        {
          ids: this.options,
          voteOf: (index) => this.campaign.voteOf(index),
          onEvent: this.options.onEvent,
        },
      );
      this.elected = { election, streamer, catchUp };
      this.options.onEvent?.(
        `elected in term ${election.term}; WAL continues at ${formatLsn(election.epochStartLsn)}`,
      );
      for (const index of this.campaign.voterIndices())
        await catchUp.admit(index, this.campaign.voteOf(index) as VoteResponse);
      this.waiters.wake();
    } catch (error) {
      this.fail(asAppError(error));
    }
  }

  /** A vote for our term after the campaign: a reconnected acceptor is caught up. */
  private admitLate(index: number, vote: VoteResponse): void {
    // While the term settles, the vote stays with the campaign; the settlement admits it.
    const elected = this.elected;
    if (elected === undefined) return;
    elected.catchUp.admit(index, vote).catch((error: unknown) => {
      // A broken invariant is not a lagging peer: it fails the proposer.
      if (error instanceof AssertionError) return this.fail(asAppError(error));
      // The term goes on without this acceptor; it is tried again when it reconnects.
      const link = this.links[index] as AcceptorLink;
      this.options.onEvent?.(`could not catch up ${link.name}: ${describeError(error)}`);
      link.drop('could not be caught up');
    });
  }

  private fail(error: AppError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.lifecycle = 'failed';
    this.supervisor.stop();
    this.waiters.fail(error);
  }
}

function asAppError(error: unknown): AppError {
  return error instanceof AppError
    ? error
    : new AppError('internal', describeError(error), { cause: error });
}
