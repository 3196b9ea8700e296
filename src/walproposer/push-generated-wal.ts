// A walproposer push of generated WAL, start to end: be elected, generate records (at most at
// the requested rate, at most MAX_UNCOMMITTED_BYTES ahead of the quorum), wait until a quorum
// committed all of it, then carry the final commit_lsn to the connected acceptors. Used by
// `wal push` (src/cluster/wal-push.ts) and by test set-ups that need committed WAL.
import { sleepMs } from '../common/deadline.js';
import { formatLsn, type Lsn } from '../postgres/lsn.js';
import { checkGeneratorOptions, WalGenerator } from './wal-generator.js';
import { WalProposer, type Election, type WalProposerOptions } from './walproposer.js';

/** Appended but uncommitted WAL the generator may run ahead by (backpressure). */
export const MAX_UNCOMMITTED_BYTES = 32 * 1024 * 1024;
/** How long the final commit_lsn may take to reach the acceptors before we return anyway. */
const ANNOUNCE_TIMEOUT_MS = 2_000;

export interface GeneratedWal {
  readonly recordSizeBytes: number;
  readonly totalBytes: number;
  /** undefined: as fast as the quorum takes it. */
  readonly rateBytesPerSecond?: number | undefined;
}

export interface PushedWal {
  readonly election: Election;
  readonly endLsn: Lsn;
  readonly commitLsn: Lsn;
  /** The highest remote_consistent_lsn (ps_applylsn) the safekeepers' answers reported. */
  readonly remoteConsistentLsn: Lsn;
  /** From the start until a quorum elected us (connecting, waiting for enough safekeepers). */
  readonly electionMs: number;
  /** From the election until a quorum committed the last byte. */
  readonly streamingMs: number;
  /** Per safekeeper (in the order given): the WAL end it acknowledged; undefined: none. */
  readonly acknowledgedFlushLsns: readonly (Lsn | undefined)[];
}

export interface PushProgress {
  /** WAL handed to the proposer so far (this push's, from the epoch start). */
  readonly pushedBytes: number;
  /** Of it, committed by a quorum. */
  readonly committedBytes: number;
  readonly commitLsn: Lsn;
  /** Since the election (the streaming time). */
  readonly streamingMs: number;
}

/** How often a push reports its progress. */
export const PROGRESS_INTERVAL_MS = 250;

export async function pushGeneratedWal(
  proposerOptions: WalProposerOptions,
  wal: GeneratedWal,
  deadlineMs: number,
  onProgress?: (progress: PushProgress) => void,
): Promise<PushedWal> {
  const begunAtMs = performance.now();
  const rate =
    wal.rateBytesPerSecond === undefined ? {} : { rateBytesPerSecond: wal.rateBytesPerSecond };
  checkGeneratorOptions({
    recordSizeBytes: wal.recordSizeBytes,
    totalBytes: wal.totalBytes,
    ...rate,
  });
  const proposer = new WalProposer(proposerOptions);
  let progressTimer: NodeJS.Timeout | undefined;
  try {
    const election = await proposer.elect(deadlineMs);
    const electedAtMs = performance.now();
    const generator = new WalGenerator({
      startLsn: election.epochStartLsn,
      prevRecordLsn: election.prevRecordLsn,
      systemId: proposerOptions.systemId,
      segmentSizeBytes: proposerOptions.segmentSizeBytes,
      recordSizeBytes: wal.recordSizeBytes,
      totalBytes: wal.totalBytes,
      ...rate,
    });
    if (onProgress !== undefined) {
      const report = (): void => {
        const commitLsn = proposer.commitLsn;
        const committed = commitLsn - election.epochStartLsn;
        onProgress({
          pushedBytes: generator.producedBytes,
          committedBytes: committed > 0n ? Number(committed) : 0,
          commitLsn,
          streamingMs: performance.now() - electedAtMs,
        });
      };
      progressTimer = setInterval(report, PROGRESS_INTERVAL_MS);
    }
    while (!generator.isDone) {
      const delayMs = generator.delayMs();
      if (delayMs > 0) {
        if (Date.now() + delayMs > deadlineMs)
          throw proposer.timeoutError(
            `only ${generator.producedBytes} of ${wal.totalBytes} bytes could be pushed at the requested rate before the timeout (committed up to ${formatLsn(proposer.commitLsn)})`,
          );
        await sleepMs(delayMs);
      }
      await proposer.waitForRoom(MAX_UNCOMMITTED_BYTES, deadlineMs);
      proposer.append(generator.nextBatch());
    }
    const endLsn = generator.currentLsn;
    await proposer.waitForCommit(endLsn, deadlineMs);
    const committedAtMs = performance.now();
    await proposer.announceCommit(Math.min(deadlineMs, Date.now() + ANNOUNCE_TIMEOUT_MS));
    return {
      election,
      endLsn,
      commitLsn: proposer.commitLsn,
      remoteConsistentLsn: proposer.remoteConsistentLsn,
      electionMs: electedAtMs - begunAtMs,
      streamingMs: committedAtMs - electedAtMs,
      acknowledgedFlushLsns: proposer.acknowledgedFlushLsns(),
    };
  } finally {
    clearInterval(progressTimer);
    proposer.close();
  }
}
