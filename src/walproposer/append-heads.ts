// The encoded tag and header of one term's AppendRequests. Acceptors streaming in step are sent
// the same slice with the same commit and truncate LSNs, so the last head encoded is handed out
// again for them instead of being encoded once per acceptor (the term, its epoch start and the
// proposer id never change). Holds no WAL and sends nothing.
import type { Lsn } from '../postgres/lsn.js';
import { encodeAppendRequestHead } from '../protocol/proposer-codec.js';
import type { AppendRequestHeader } from '../protocol/proposer-messages.js';
import type { Term } from '../protocol/term-history.js';

type MutableHeader = { -readonly [K in keyof AppendRequestHeader]: AppendRequestHeader[K] };

export class AppendHeads {
  /** The header of the last head encoded, reused for the next encoding (no object per head). */
  private readonly header: MutableHeader;
  private lastWalLength = -1;
  private lastBytes: Uint8Array | undefined;

  constructor(term: Term, epochStartLsn: Lsn, proposerId: string) {
    this.header = {
      term,
      epochStartLsn,
      beginLsn: 0n,
      endLsn: 0n,
      commitLsn: 0n,
      truncateLsn: 0n,
      proposerId,
    };
  }

  /** The head of an AppendRequest of `walLength` WAL bytes from `beginLsn`. */
  headFor(beginLsn: Lsn, walLength: number, commitLsn: Lsn, truncateLsn: Lsn): Uint8Array {
    const header = this.header;
    if (
      this.lastBytes !== undefined &&
      header.beginLsn === beginLsn &&
      this.lastWalLength === walLength &&
      header.commitLsn === commitLsn &&
      header.truncateLsn === truncateLsn
    )
      return this.lastBytes;
    // Nothing is reused if the encoding below throws.
    this.lastBytes = undefined;
    header.beginLsn = beginLsn;
    header.endLsn = beginLsn + BigInt(walLength);
    header.commitLsn = commitLsn;
    header.truncateLsn = truncateLsn;
    this.lastWalLength = walLength;
    this.lastBytes = encodeAppendRequestHead(header, walLength);
    return this.lastBytes;
  }
}
