// A walproposer: connects to every safekeeper of a timeline, campaigns for a term above every
// acceptor's, is elected by a majority, takes the most advanced acceptor's WAL as the base of its
// term (reading the part it needs back from that acceptor), brings every acceptor to that base
// from its divergence point, then streams new WAL. commit_lsn is the highest LSN flushed by a
// quorum in this term, truncate_lsn the lowest flushed by all. Acceptors that drop out are
// reconnected and caught up. The election steps are in election.ts; this file drives them.
import { AppError } from '../common/errors.js';
import { generateHexId, type TenantId, type TimelineId } from '../common/hex-id.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';
import { WalDecoder } from '../postgres/wal/wal-decoder.js';
import type { TermSwitch } from '../protocol/term-history.js';
import {
  MAX_APPEND_WAL_BYTES,
  PROPOSER_PROTOCOL_VERSION,
  type AcceptorMessage,
  type AppendResponse,
  type VoteResponse,
} from '../protocol/proposer-messages.js';
import { encodeAppendRequestHead } from '../protocol/proposer-codec.js';
import { AcceptorLink, timelineParameters, type AcceptorEndpoint } from './acceptor-link.js';
import {
  minFlushLsn,
  pickDonor,
  proposerHistory,
  quorumFlushLsn,
  quorumOf,
  recoveryBoundary,
  startStreamingAt,
} from './election.js';
import { fetchWal } from './recovery-fetch.js';
import { WalBuffer } from './wal-buffer.js';
import { PG_TIMELINE_ID } from '../postgres/segment-name.js';

export interface WalProposerOptions {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly systemId: bigint;
  readonly segmentSizeBytes: number;
  readonly safekeepers: readonly AcceptorEndpoint[];
  /** Progress for a person (elections, catch-ups, lost acceptors); never required. */
  readonly onEvent?: (message: string) => void;
}

/** What the election settled: where this term's WAL starts and the record before it. */
export interface Election {
  readonly term: bigint;
  readonly epochStartLsn: Lsn;
  readonly prevRecordLsn: Lsn;
  readonly timelineStartLsn: Lsn;
}

const CONNECT_TIMEOUT_MS = 2_000;
const RECONNECT_DELAY_MS = 250;
/** WAL sent to one acceptor and not yet flushed there: no more is sent past this (one append over at most). */
const MAX_INFLIGHT_BYTES = 16n * 1024n * 1024n;
/** Campaigns restarted because another proposer held a higher term, at most. */
const MAX_CAMPAIGNS = 16;
const RECOVERY_TIMEOUT_MS = 60_000;
const PG_VERSION_15 = 150_000;

type Phase = 'campaign' | 'electing' | 'elected' | 'failed' | 'closed';

export class WalProposer {
  private readonly links: AcceptorLink[];
  private readonly quorum: number;
  private readonly proposerId = generateHexId();
  private phase: Phase = 'campaign';
  private term = 0n;
  private campaigns = 0;
  private history: TermSwitch[] = [];
  private epochStartLsn = 0n;
  private buffer: WalBuffer | undefined;
  private commit = 0n;
  private truncate = 0n;
  private failure: AppError | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly reconnectTimers = new Set<NodeJS.Timeout>();
  private election: Election | undefined;
  /** An announcement of the new commit_lsn to idle acceptors is scheduled. */
  private commitAnnouncePending = false;
  private lastAppendHead:
    | {
        readonly beginLsn: Lsn;
        readonly walLength: number;
        readonly commitLsn: Lsn;
        readonly truncateLsn: Lsn;
        readonly bytes: Uint8Array;
      }
    | undefined;

  constructor(private readonly options: WalProposerOptions) {
    const parameters = timelineParameters(options.tenantId, options.timelineId, 'walproposer');
    this.links = options.safekeepers.map(
      (endpoint) =>
        new AcceptorLink(endpoint, parameters, {
          onMessage: (link, message) => this.onMessage(link, message),
          onDown: (link, reason) => this.onDown(link, reason),
        }),
    );
    this.quorum = quorumOf(this.links.length);
  }

  get commitLsn(): Lsn {
    return this.commit;
  }
  /** Connects to every acceptor and resolves once elected, or rejects at the deadline. */
  async elect(deadlineMs: number): Promise<Election> {
    for (const link of this.links) void this.connect(link);
    await this.waitUntil(
      () => this.election !== undefined,
      deadlineMs,
      () => this.timeoutError('no quorum of safekeepers elected this proposer'),
    );
    return this.election as Election;
  }

  /** Adds WAL (whole records, continuing the election's epochStartLsn) and streams it. */
  append(bytes: Uint8Array): void {
    const buffer = this.requireElected();
    buffer.append(bytes);
    for (const link of this.links) this.pump(link);
  }

  /** Waits until no more than `maxBytes` of appended WAL is uncommitted. */
  async waitForRoom(maxBytes: number, deadlineMs: number): Promise<void> {
    const buffer = this.requireElected();
    // Until this term commits anything, its WAL counts from where the term started.
    const committed = (): Lsn =>
      this.commit > this.epochStartLsn ? this.commit : this.epochStartLsn;
    await this.waitUntil(
      () => buffer.endLsn - committed() <= BigInt(maxBytes),
      deadlineMs,
      () => this.timeoutError(`WAL beyond ${formatLsn(committed())} is not committed by a quorum`),
    );
  }

  async waitForCommit(lsn: Lsn, deadlineMs: number): Promise<void> {
    await this.waitUntil(
      () => this.commit >= lsn,
      deadlineMs,
      () =>
        this.timeoutError(
          `WAL up to ${formatLsn(lsn)} is not committed by a quorum (committed up to ${formatLsn(this.commit)})`,
        ),
    );
  }

  /**
   * Sends the final commit_lsn to every connected acceptor that holds the WAL (an empty
   * AppendRequest) and waits, up to `deadlineMs`, for each of them to answer.
   */
  async announceCommit(deadlineMs: number): Promise<void> {
    const target = this.commit;
    // Connected acceptors still being admitted or caught up are waited for too.
    const pending = this.links.filter((link) => link.state === 'up');
    for (const link of pending) if (this.isIdle(link)) this.sendAppend(link, link.nextLsn, [], 0);
    await this.waitUntil(
      () => pending.every((link) => link.state !== 'up' || link.ackedCommitLsn >= target),
      deadlineMs,
      () => undefined,
    ).catch(() => undefined);
  }

  /** Ends every connection and stops reconnecting. */
  close(): void {
    this.phase = 'closed';
    for (const timer of this.reconnectTimers) clearTimeout(timer);
    this.reconnectTimers.clear();
    for (const link of this.links) link.close();
    this.wake();
  }

  private requireElected(): WalBuffer {
    if (this.failure !== undefined) throw this.failure;
    if (this.buffer === undefined || this.phase !== 'elected')
      throw new AppError('wrong-state', 'the walproposer is not elected');
    return this.buffer;
  }

  private async connect(link: AcceptorLink): Promise<void> {
    if (this.phase === 'closed' || this.phase === 'failed') return;
    await link.connect(
      {
        tag: 'greeting',
        protocolVersion: PROPOSER_PROTOCOL_VERSION,
        pgVersion: PG_VERSION_15,
        proposerId: this.proposerId,
        systemId: this.options.systemId,
        timelineId: this.options.timelineId,
        tenantId: this.options.tenantId,
        pgTimeline: PG_TIMELINE_ID,
        walSegSize: this.options.segmentSizeBytes,
      },
      CONNECT_TIMEOUT_MS,
    );
  }

  private onDown(link: AcceptorLink, reason: string): void {
    if (this.phase === 'closed' || this.phase === 'failed') return;
    this.options.onEvent?.(`${link.name} is down: ${reason}`);
    // Safekeepers that answer with an error (a different system id, a broken timeline) will
    // keep doing so: when too many refuse for a quorum to exist, say so now, not at the timeout.
    const refusing = this.links.filter((l) => l.state === 'down' && l.refused);
    if (refusing.length > this.links.length - this.quorum) {
      this.fail(
        new AppError(
          'wrong-state',
          `no quorum is possible: ${refusing.map((l) => `${l.name} refused: ${l.lastError ?? ''}`).join('; ')}`,
        ),
      );
      return;
    }
    const timer = setTimeout(() => {
      this.reconnectTimers.delete(timer);
      void this.connect(link);
    }, RECONNECT_DELAY_MS);
    this.reconnectTimers.add(timer);
    this.wake();
  }

  private onMessage(link: AcceptorLink, message: AcceptorMessage): void {
    if (this.phase === 'closed' || this.phase === 'failed') return;
    try {
      switch (message.tag) {
        case 'greeting':
          link.greetedTerm = message.term;
          this.onGreeted(link);
          return;
        case 'vote':
          this.onVote(link, message);
          return;
        case 'append':
          this.onAppendResponse(link, message);
          return;
      }
    } catch (error) {
      this.fail(error instanceof AppError ? error : new AppError('internal', String(error)));
    }
  }

  private onGreeted(link: AcceptorLink): void {
    if (this.phase !== 'campaign' || this.term !== 0n) {
      if (this.term !== 0n) link.send({ tag: 'vote', term: this.term });
      return;
    }
    let greeted = 0;
    let highestTerm = 0n;
    for (const other of this.links) {
      if (other.greetedTerm === undefined) continue;
      greeted++;
      if (other.greetedTerm > highestTerm) highestTerm = other.greetedTerm;
    }
    if (greeted >= this.quorum) this.startCampaign(highestTerm + 1n);
  }

  private startCampaign(term: bigint): void {
    if (++this.campaigns > MAX_CAMPAIGNS)
      throw new AppError(
        'wrong-state',
        `gave up after ${MAX_CAMPAIGNS} campaigns: another proposer keeps raising the term`,
      );
    this.term = term;
    // Votes of an earlier campaign do not count for this one.
    for (const link of this.links) link.vote = undefined;
    this.options.onEvent?.(`campaigning for term ${term}`);
    for (const link of this.links)
      if (link.greetedTerm !== undefined) link.send({ tag: 'vote', term });
  }

  private onVote(link: AcceptorLink, vote: VoteResponse): void {
    if (vote.term > this.term) {
      if (this.phase !== 'campaign')
        throw new AppError(
          'wrong-state',
          `${link.name} is in term ${vote.term}: a newer proposer took over term ${this.term}`,
        );
      this.startCampaign(vote.term + 1n);
      return;
    }
    // An answer to an earlier campaign's request counts for nothing.
    if (vote.term < this.term) return;
    // Our term, not granted now: the vote was given to us before this connection (a reconnect).
    const ours = vote.voteGiven || this.phase !== 'campaign';
    if (!ours) {
      if (this.phase === 'campaign') this.startCampaign(this.term + 1n);
      return;
    }
    link.vote = vote;
    if (this.phase === 'campaign') {
      if (this.voters().length >= this.quorum) void this.becomeElected();
      return;
    }
    if (this.phase === 'elected')
      this.admitLate(link, vote).catch((error: unknown) => {
        // The term goes on without this acceptor; it is tried again when it reconnects.
        this.options.onEvent?.(`could not catch up ${link.name}: ${String(error)}`);
        link.drop('could not be caught up');
      });
    // While electing, the vote is kept on the link and admitted once the election settles.
  }

  private async becomeElected(): Promise<void> {
    this.phase = 'electing';
    try {
      const voters = this.voters();
      const votes = voters.map((link) => link.vote as VoteResponse);
      const donorVote = pickDonor(votes);
      const donor = voters.find((link) => link.vote === donorVote) as AcceptorLink;
      this.truncate = votes.reduce((max, v) => (v.truncateLsn > max ? v.truncateLsn : max), 0n);
      const knownStart = votes.map((v) => v.timelineStartLsn).find((lsn) => lsn !== 0n);
      const timelineStartLsn = knownStart ?? BigInt(this.options.segmentSizeBytes);
      this.epochStartLsn = donorVote.flushLsn === 0n ? timelineStartLsn : donorVote.flushLsn;
      this.history = proposerHistory(donorVote, this.term, this.epochStartLsn);
      const starts = votes.map((vote) => startStreamingAt(this.history, this.term, vote));
      const boundary = recoveryBoundary(donorVote, this.truncate) ?? this.epochStartLsn;
      const fetchFrom = starts.reduce((min, lsn) => (lsn < min ? lsn : min), boundary);
      this.buffer = new WalBuffer(fetchFrom);
      let prevRecordLsn = 0n;
      if (fetchFrom < this.epochStartLsn) {
        this.options.onEvent?.(
          `reading ${formatLsn(fetchFrom)}..${formatLsn(this.epochStartLsn)} from ${donor.name}`,
        );
        const bytes = await fetchWal(
          donor.endpoint,
          this.options,
          fetchFrom,
          this.epochStartLsn,
          RECOVERY_TIMEOUT_MS,
        );
        prevRecordLsn = this.lastRecordStart(fetchFrom, bytes);
        this.buffer.append(bytes);
      }
      // Closed or failed while reading the donor's WAL.
      if ((this.phase as Phase) !== 'electing') return;
      this.phase = 'elected';
      this.election = {
        term: this.term,
        epochStartLsn: this.epochStartLsn,
        prevRecordLsn,
        timelineStartLsn,
      };
      this.options.onEvent?.(
        `elected in term ${this.term}; WAL continues at ${formatLsn(this.epochStartLsn)}`,
      );
      for (const link of this.voters()) await this.admitLate(link, link.vote as VoteResponse);
      this.wake();
    } catch (error) {
      this.fail(
        error instanceof AppError
          ? error
          : new AppError('internal', String(error), { cause: error }),
      );
    }
  }

  /** The connected acceptors that voted for this campaign's term. */
  private voters(): AcceptorLink[] {
    return this.links.filter((link) => link.vote !== undefined && link.state === 'up');
  }

  /** The start of the last record in `bytes` (WAL from the record boundary `fromLsn`). */
  private lastRecordStart(fromLsn: Lsn, bytes: Uint8Array): Lsn {
    const decoder = new WalDecoder({
      startLsn: fromLsn,
      segmentSizeBytes: this.options.segmentSizeBytes,
      systemId: this.options.systemId,
    });
    decoder.feed(bytes);
    let last: Lsn | undefined;
    for (let record = decoder.next(); record !== undefined; record = decoder.next())
      last = record.startLsn;
    if (last === undefined || decoder.decodedLsn !== fromLsn + BigInt(bytes.length))
      throw new AppError(
        'integrity',
        `the donor's WAL ${formatLsn(fromLsn)}..${formatLsn(fromLsn + BigInt(bytes.length))} does not end on a record boundary`,
      );
    return last;
  }

  /** Brings one voter into the term: ProposerElected at its divergence point, then streaming. */
  private async admitLate(link: AcceptorLink, vote: VoteResponse): Promise<void> {
    if (!isAwaitingAdmission(link, vote)) return;
    const buffer = this.buffer as WalBuffer;
    const start = startStreamingAt(this.history, this.term, vote);
    if (start < buffer.startLsn) await this.fetchBefore(start);
    // The link may have dropped (or been admitted) while WAL was being read.
    if (!isAwaitingAdmission(link, vote)) return;
    link.send({
      tag: 'elected',
      term: this.term,
      startStreamingAt: start,
      termHistory: this.history,
      timelineStartLsn: this.election?.timelineStartLsn ?? 0n,
    });
    link.elected = true;
    link.streamStartLsn = start;
    link.nextLsn = start;
    if (start < this.epochStartLsn)
      this.options.onEvent?.(`catching up ${link.name} from ${formatLsn(start)}`);
    this.pump(link);
  }

  /** WAL below what we hold, read back from an acceptor that flushed it in this term. */
  private async fetchBefore(lsn: Lsn): Promise<void> {
    const buffer = this.buffer as WalBuffer;
    const holders = this.links.filter(
      (l) => l.state === 'up' && l.ackedFlushLsn >= buffer.startLsn,
    );
    for (const holder of holders) {
      try {
        const end = buffer.startLsn;
        if (lsn >= end) return;
        buffer.prepend(
          lsn,
          await fetchWal(holder.endpoint, this.options, lsn, end, RECOVERY_TIMEOUT_MS),
        );
        return;
      } catch (error) {
        this.options.onEvent?.(`could not read WAL from ${holder.name}: ${String(error)}`);
      }
    }
    throw new AppError(
      'unavailable',
      `no safekeeper could provide WAL from ${formatLsn(lsn)} to catch up a peer`,
    );
  }

  private onAppendResponse(link: AcceptorLink, response: AppendResponse): void {
    if (response.term > this.term)
      throw new AppError(
        'wrong-state',
        `${link.name} is in term ${response.term}: a newer proposer took over term ${this.term}`,
      );
    if (!link.elected) return;
    const commitAcknowledged = response.commitLsn > link.ackedCommitLsn;
    if (commitAcknowledged) link.ackedCommitLsn = response.commitLsn;
    // commit_lsn and truncate_lsn depend only on the flushes: nothing to redo unless one rose
    // (advance() wakes the waiters when commit_lsn moves).
    if (response.flushLsn > link.ackedFlushLsn) {
      link.ackedFlushLsn = response.flushLsn;
      this.advance();
    }
    this.pump(link);
    // announceCommit() waits for acceptors to acknowledge the commit.
    if (commitAcknowledged) this.wake();
  }

  /** Recomputes commit_lsn and truncate_lsn; a new commit goes to idle acceptors at once. */
  private advance(): void {
    const flushes = this.links.map((l) => l.ackedFlushLsn);
    const truncate = minFlushLsn(flushes);
    if (truncate > this.truncate) {
      this.truncate = truncate;
      this.buffer?.dropBefore(truncate);
    }
    const commit = quorumFlushLsn(flushes, this.quorum, this.epochStartLsn);
    if (commit <= this.commit) return;
    this.commit = commit;
    // Whoever waits for this commit runs first; then acceptors that were sent no WAL since
    // (which would carry it) learn it from an empty append.
    this.wake();
    if (this.commitAnnouncePending) return;
    this.commitAnnouncePending = true;
    setImmediate(() => {
      this.commitAnnouncePending = false;
      for (const link of this.links)
        if (this.isIdle(link) && link.sentCommitLsn < this.commit)
          this.sendAppend(link, link.nextLsn, [], 0);
    });
  }

  /** Elected, connected and sent all WAL held: only an empty append can carry commit_lsn. */
  private isIdle(link: AcceptorLink): boolean {
    return link.elected && link.state === 'up' && link.nextLsn === this.buffer?.endLsn;
  }

  /** Sends this acceptor what it lacks, within its in-flight window. */
  private pump(link: AcceptorLink): void {
    const buffer = this.buffer;
    if (buffer === undefined || !link.elected || link.state !== 'up' || link.draining) return;
    const acked =
      link.ackedFlushLsn > link.streamStartLsn ? link.ackedFlushLsn : link.streamStartLsn;
    while (link.nextLsn < buffer.endLsn) {
      if (link.nextLsn - acked >= MAX_INFLIGHT_BYTES) return;
      const walLength = Math.min(MAX_APPEND_WAL_BYTES, Number(buffer.endLsn - link.nextLsn));
      const walParts = buffer.slice(link.nextLsn, walLength);
      const flowing = this.sendAppend(link, link.nextLsn, walParts, walLength);
      link.nextLsn += BigInt(walLength);
      if (!flowing) {
        link.draining = true;
        void link.waitForDrain().then(() => {
          link.draining = false;
          this.pump(link);
        });
        return;
      }
    }
  }

  private sendAppend(
    link: AcceptorLink,
    beginLsn: Lsn,
    walParts: readonly Uint8Array[],
    walLength: number,
  ): boolean {
    link.sentCommitLsn = this.commit;
    return link.sendAppend(this.appendHead(beginLsn, walLength), walParts);
  }

  /**
   * The encoded tag and header of an AppendRequest: acceptors streaming in step are sent the
   * same slice with the same commit and truncate LSNs, so the last one is kept for them (the
   * term and its epoch start do not change once elected).
   */
  private appendHead(beginLsn: Lsn, walLength: number): Uint8Array {
    const last = this.lastAppendHead;
    if (
      last?.beginLsn === beginLsn &&
      last.walLength === walLength &&
      last.commitLsn === this.commit &&
      last.truncateLsn === this.truncate
    )
      return last.bytes;
    const header = {
      term: this.term,
      epochStartLsn: this.epochStartLsn,
      beginLsn,
      endLsn: beginLsn + BigInt(walLength),
      commitLsn: this.commit,
      truncateLsn: this.truncate,
      proposerId: this.proposerId,
    };
    const bytes = encodeAppendRequestHead(header, walLength);
    this.lastAppendHead = {
      beginLsn,
      walLength,
      commitLsn: this.commit,
      truncateLsn: this.truncate,
      bytes,
    };
    return bytes;
  }

  private fail(error: AppError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.phase = 'failed';
    for (const link of this.links) link.close();
    this.wake();
  }

  /** A timed-out error naming what did not happen and the state of every acceptor. */
  timeoutError(what: string): AppError {
    const details = this.links
      .map(
        (link) =>
          `${link.name}: ${link.state === 'up' ? (link.elected ? `flushed ${formatLsn(link.ackedFlushLsn)}` : 'connected') : (link.lastError ?? 'not connected')}`,
      )
      .join('; ');
    return new AppError(
      'timed-out',
      `${what} (a quorum is ${this.quorum} of ${this.links.length}; ${details})`,
    );
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves when `done()` holds; rejects on failure, on close, or at the deadline. */
  private waitUntil(
    done: () => boolean,
    deadlineMs: number,
    timeoutError: () => AppError | undefined,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.failure !== undefined) finish(this.failure);
        else if (done()) finish(undefined);
        else if (this.phase === 'closed')
          finish(new AppError('wrong-state', 'the walproposer was closed'));
      };
      const timer = setTimeout(
        () => finish(timeoutError() ?? new AppError('timed-out', 'timed out')),
        Math.max(0, deadlineMs - Date.now()),
      );
      const finish = (error: AppError | undefined): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.waiters.add(check);
      check();
    });
  }
}

function isAwaitingAdmission(link: AcceptorLink, vote: VoteResponse): boolean {
  return link.state === 'up' && link.vote === vote && !link.elected;
}
