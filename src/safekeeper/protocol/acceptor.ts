// The acceptor side of neon's consensus protocol for one walproposer connection
// (neon-reference.md §7.3): the greeting binds the connection to its timeline, a vote is given
// only for a strictly higher term and persisted before the reply, ProposerElected truncates the
// WAL where the proposer starts streaming and adopts its term history, and appends are written,
// made durable with one flush per batch and answered once. An AppendResponse carries the
// persisted commit_lsn (what survives a crash, as neon's does; a batch of WAL-less appends that
// raises commit_lsn, the proposer's commit announcement, is persisted so that it is answered) and
// the feedback of the timeline's replicas. Each step runs under the timeline lock; nothing here
// waits on the network.
import { assert } from '../../common/assert.js';
import { AppError } from '../../common/errors.js';
import type { TenantId, TimelineId } from '../../common/hex-id.js';
import type { Logger } from '../../common/log.js';
import { formatLsn, type Lsn } from '../../postgres/lsn.js';
import { checkSegmentSize, PG_TIMELINE_ID } from '../../postgres/segment-name.js';
import {
  epochAt,
  findHistoryDisorder,
  historyUpTo,
  type TermSwitch,
} from '../../protocol/term-history.js';
import type { LockedTimeline, Timeline } from '../timeline/timeline.js';
import { appendResponse, termOnlyResponse } from './append-response.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import {
  PROPOSER_PROTOCOL_VERSION,
  type AcceptorMessage,
  type AppendRequest,
  type AppendResponse,
  type ProposerElected,
  type ProposerGreeting,
  type ProposerMessage,
  type VoteResponse,
} from '../../protocol/proposer-messages.js';

export interface AcceptorContext {
  readonly nodeId: bigint;
  /** The timeline named by the connection's startup parameters. */
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly registry: TimelineRegistry;
  readonly log: Logger;
}

/** A protocol violation by the proposer: answered with an ErrorResponse, then the connection ends. */
function protocolError(message: string): AppError {
  return new AppError('usage', message);
}

export class Acceptor {
  private timeline: Timeline | undefined;
  private detachCompute: (() => void) | undefined;
  /** Where the current proposer's epoch starts (from its appends); drives persist rule 5b. */
  private epochStartLsn: Lsn = 0n;

  constructor(private readonly context: AcceptorContext) {}

  /**
   * Processes messages that arrived together and returns the replies. Consecutive appends are
   * one batch: written in order, flushed once and answered with one AppendResponse.
   */
  async process(messages: readonly ProposerMessage[]): Promise<AcceptorMessage[]> {
    const replies: AcceptorMessage[] = [];
    let index = 0;
    while (index < messages.length) {
      const message = messages[index] as ProposerMessage;
      if (message.tag === 'append') {
        const batch: AppendRequest[] = [];
        while (index < messages.length && messages[index]?.tag === 'append')
          batch.push(messages[index++] as AppendRequest);
        replies.push(await this.processAppends(batch));
        continue;
      }
      index++;
      const reply = await this.processOne(message);
      if (reply !== undefined) replies.push(reply);
    }
    return replies;
  }

  /** The connection ended: it no longer counts as a compute. */
  close(): void {
    this.detachCompute?.();
    this.detachCompute = undefined;
  }

  private async processOne(message: ProposerMessage): Promise<AcceptorMessage | undefined> {
    switch (message.tag) {
      case 'greeting':
        return this.processGreeting(message);
      case 'vote':
        return this.withTimeline('VoteRequest', (locked) => this.vote(locked, message.term));
      case 'elected':
        await this.withTimeline('ProposerElected', (locked) => this.elected(locked, message));
        return undefined;
      case 'append':
        return this.processAppends([message]);
    }
  }

  private async processGreeting(greeting: ProposerGreeting): Promise<AcceptorMessage> {
    const { tenantId, timelineId, registry, log, nodeId } = this.context;
    if (this.timeline !== undefined) throw protocolError('unexpected second ProposerGreeting');
    if (greeting.protocolVersion !== PROPOSER_PROTOCOL_VERSION)
      throw protocolError(
        `unsupported proposer protocol version ${greeting.protocolVersion} (this safekeeper speaks ${PROPOSER_PROTOCOL_VERSION})`,
      );
    if (greeting.tenantId !== tenantId || greeting.timelineId !== timelineId)
      throw protocolError(
        `ProposerGreeting is for ${greeting.tenantId}/${greeting.timelineId}, the connection for ${tenantId}/${timelineId}`,
      );
    if (greeting.pgTimeline !== PG_TIMELINE_ID)
      throw protocolError(`unsupported PostgreSQL timeline ${greeting.pgTimeline} (only 1)`);
    try {
      checkSegmentSize(greeting.walSegSize);
    } catch (error) {
      throw protocolError(`ProposerGreeting: ${(error as Error).message}`);
    }
    const server = {
      pgVersion: greeting.pgVersion,
      systemId: greeting.systemId,
      walSegSize: greeting.walSegSize,
    };
    const timeline = await registry.requireOrCreate(tenantId, timelineId, server);
    const known = timeline.state.server.pgVersion;
    if (known !== 0 && known !== greeting.pgVersion)
      log.warn({ known, greeted: greeting.pgVersion }, 'proposer PostgreSQL version differs');
    await timeline.setServerInfo(server);
    this.timeline = timeline;
    this.detachCompute = timeline.attachCompute();
    log.info({ proposer: greeting.proposerId }, 'walproposer connected');
    return { tag: 'greeting', term: timeline.state.acceptorState.term, nodeId };
  }

  private withTimeline<T>(what: string, fn: (locked: LockedTimeline) => Promise<T>): Promise<T> {
    const timeline = this.timeline;
    if (timeline === undefined) throw protocolError(`${what} before ProposerGreeting`);
    return timeline.withLock(fn);
  }

  /** Vote iff our term is strictly lower; the new term is durable before the vote leaves. */
  private async vote(locked: LockedTimeline, term: bigint): Promise<VoteResponse> {
    const acceptorState = locked.state.acceptorState;
    let voteGiven = false;
    if (acceptorState.term < term) {
      await locked.persistState({ ...locked.state, acceptorState: { ...acceptorState, term } });
      assert(locked.state.acceptorState.term === term, 'the vote is durable before the reply');
      voteGiven = true;
      this.context.log.info({ term: term.toString() }, 'vote given');
    }
    const flushLsn = locked.flushLsn;
    return {
      tag: 'vote',
      term: locked.state.acceptorState.term,
      voteGiven,
      flushLsn,
      truncateLsn: locked.state.peerHorizonLsn,
      termHistory: historyUpTo(locked.state.acceptorState.termHistory, flushLsn),
      timelineStartLsn: locked.state.timelineStartLsn,
    };
  }

  private async elected(locked: LockedTimeline, message: ProposerElected): Promise<void> {
    const log = this.context.log;
    const state = locked.state;
    // A newer proposer exists: this one's election is stale and gets no answer.
    if (state.acceptorState.term > message.term) return;
    // Everything is checked before anything is written: a refused message changes nothing.
    const start = message.startStreamingAt;
    checkElectedHistory(message, start);
    const wal = locked.wal;
    if (start < locked.inmem.commitLsn)
      throw protocolError(
        `refusing ProposerElected: start_streaming_at ${formatLsn(start)} is below commit_lsn ${formatLsn(locked.inmem.commitLsn)}, which would remove committed WAL`,
      );
    if (wal.writeLsn !== 0n && start > wal.writeLsn)
      throw protocolError(
        `refusing ProposerElected: start_streaming_at ${formatLsn(start)} is beyond this safekeeper's WAL end ${formatLsn(wal.writeLsn)}`,
      );
    // The divergence cross-check neon left as a TODO: WAL kept below the streaming start must
    // belong to the terms the proposer's history says it does.
    const kept = start > state.localStartLsn && wal.writeLsn !== 0n;
    if (kept && start > 0n) {
      const ours = epochAt(historyUpTo(state.acceptorState.termHistory, wal.writeLsn), start - 1n);
      const theirs = epochAt(message.termHistory, start - 1n);
      if (ours !== theirs)
        throw protocolError(
          `refusing ProposerElected: WAL before ${formatLsn(start)} is of term ${ours} here but of term ${theirs} in the proposer's history`,
        );
    }
    // The term is durable before any WAL is cut, as a vote would be.
    if (state.acceptorState.term < message.term)
      await locked.persistState({
        ...state,
        acceptorState: { ...state.acceptorState, term: message.term },
      });
    if (wal.writeLsn !== start) {
      if (wal.writeLsn > start)
        log.info(
          { from: formatLsn(start), writeLsn: formatLsn(wal.writeLsn) },
          'truncating WAL for a new term',
        );
      await locked.truncateWal(start);
    }
    const timelineStartLsn =
      state.timelineStartLsn === 0n ? message.timelineStartLsn : state.timelineStartLsn;
    const localStartLsn =
      state.localStartLsn === 0n || state.localStartLsn >= start ? start : state.localStartLsn;
    // backup_lsn starts at the timeline start, never at 0 (the fix of neon's 54b75248ff).
    await locked.persistAll(
      {
        acceptorState: { term: message.term, termHistory: message.termHistory },
        timelineStartLsn,
        localStartLsn,
      },
      { backupLsn: timelineStartLsn },
    );
    assert(
      locked.state.acceptorState.term === message.term && wal.writeLsn === start,
      'after ProposerElected the term is the elected one and WAL ends where streaming starts',
    );
    log.info(
      { term: message.term.toString(), startStreamingAt: formatLsn(start) },
      'proposer elected',
    );
  }

  private processAppends(batch: readonly AppendRequest[]): Promise<AppendResponse> {
    return this.withTimeline('AppendRequest', (locked) => this.appendBatch(locked, batch));
  }

  private async appendBatch(
    locked: LockedTimeline,
    batch: readonly AppendRequest[],
  ): Promise<AppendResponse> {
    const ourTerm = locked.state.acceptorState.term;
    let commitLsn = 0n;
    let truncateLsn = 0n;
    let walBytesTotal = 0;
    for (const { header, walBytes } of batch) {
      if (ourTerm < header.term)
        throw protocolError(
          `got AppendRequest of term ${header.term} before ProposerElected (term here ${ourTerm})`,
        );
      // An old proposer: it learns our term from the reply and gives up.
      if (ourTerm > header.term) return termOnlyResponse(ourTerm);
      this.epochStartLsn = header.epochStartLsn;
      locked.setProposerUuid(header.proposerId);
      await locked.wal.write(header.beginLsn, walBytes);
      walBytesTotal += walBytes.length;
      if (header.commitLsn > commitLsn) commitLsn = header.commitLsn;
      if (header.truncateLsn > truncateLsn) truncateLsn = header.truncateLsn;
    }
    await locked.wal.flush();
    locked.globalCommitLsn = commitLsn;
    await locked.advanceInmem({ commitLsn: locked.globalCommitLsn, peerHorizonLsn: truncateLsn });
    // Rule 5b: the commit reaching the epoch start is persisted (the switch to the new epoch);
    // and a commit announcement (appends without WAL), whose answer acknowledges it durably.
    const inmemCommit = locked.inmem.commitLsn;
    const persistedCommit = locked.state.commitLsn;
    if (
      inmemCommit !== persistedCommit &&
      (inmemCommit === this.epochStartLsn || walBytesTotal === 0)
    )
      await locked.persistAll();
    const replicas = (this.timeline as Timeline).replicas;
    return appendResponse(ourTerm, locked.flushLsn, locked.state.commitLsn, replicas);
  }
}

/**
 * The elected proposer's term history must be ordered (terms strictly increasing, LSNs not
 * decreasing), end with its own term, and start at or before where streaming starts.
 */
function checkElectedHistory(message: ProposerElected, startStreamingAt: Lsn): void {
  const history = message.termHistory;
  const disorder = findHistoryDisorder(history);
  if (disorder !== undefined) {
    const previous = history[disorder - 1] as TermSwitch;
    const entry = history[disorder] as TermSwitch;
    throw protocolError(
      `malformed ProposerElected: term history is not ordered at entry ${disorder} (term ${entry.term} at ${formatLsn(entry.lsn)} after term ${previous.term} at ${formatLsn(previous.lsn)})`,
    );
  }
  if (history.length === 0) throw protocolError('malformed ProposerElected: empty term history');
  const first = history[0] as TermSwitch;
  const last = history[history.length - 1] as TermSwitch;
  if (last.term !== message.term)
    throw protocolError(
      `malformed ProposerElected: term history ends with term ${last.term}, not the elected term ${message.term}`,
    );
  if (startStreamingAt < first.lsn)
    throw protocolError(
      `malformed ProposerElected: start_streaming_at ${formatLsn(startStreamingAt)} is before the history's first entry at ${formatLsn(first.lsn)}`,
    );
}
