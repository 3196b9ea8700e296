// Proposer messages for the START_WAL_PUSH fuzz cases: the session a case runs in (START_WAL_PUSH,
// optionally after the timeline's own greeting, which is accepted and changes nothing), raw
// layouts the codec would refuse to encode (AppendRequests with inconsistent LSNs), and
// well-formed messages with random fields for the cases that break them afterwards.
import type { Lsn } from '../../src/postgres/lsn.js';
import { encodeCopyData } from '../../src/postgres/wire/frontend-messages.js';
import { encodeProposerMessage } from '../../src/protocol/proposer-codec.js';
import type { Expectation } from './wire-fuzz-runner.js';
import {
  correctGreeting,
  greeting,
  U64_MAX,
  walPushPrefix,
  type CaseDraft,
  type FuzzRandom,
  type FuzzTarget,
  type TimelineChoice,
} from './wire-fuzz-frames.js';

export { greeting };

export const PROTOCOL_VIOLATION: Expectation = { kind: 'fatal', sqlState: '08P01' };
export const WRONG_STATE: Expectation = { kind: 'fatal', sqlState: '55000' };
export const PROPOSER_TAG_LETTERS: readonly string[] = ['g', 'v', 'e', 'a'];

export interface PushOptions {
  /** The timeline's own greeting goes first (accepted: it changes nothing). */
  readonly greeted: boolean;
  readonly timeline?: TimelineChoice;
}

export function pushCase(
  target: FuzzTarget,
  label: string,
  payloads: readonly Buffer[],
  options: PushOptions,
  expect: Expectation,
): CaseDraft {
  const parts = [walPushPrefix(target, options.timeline ?? 'present')];
  if (options.greeted) parts.push(correctGreeting(target));
  parts.push(...payloads.map((payload) => encodeCopyData(payload)));
  return {
    label: `${label}${options.greeted ? ' after the greeting' : ''}`,
    bytes: Buffer.concat(parts),
    expect,
  };
}

export function u64s(...values: bigint[]): Buffer {
  const bytes = Buffer.alloc(8 * values.length);
  values.forEach((value, index) => bytes.writeBigUInt64LE(value, 8 * index));
  return bytes;
}

export function tagOf(letter: string): Buffer {
  return u64s(BigInt(letter.charCodeAt(0)));
}

export interface AppendFields {
  readonly term: bigint;
  readonly beginLsn: Lsn;
  readonly endLsn: Lsn;
  readonly commitLsn: Lsn;
  readonly truncateLsn: Lsn;
}

/** An AppendRequest laid out by hand: the codec refuses to encode inconsistent ones. */
export function rawAppend(fields: AppendFields, proposerId: string, wal: Buffer): Buffer {
  const { term, beginLsn, endLsn, commitLsn, truncateLsn } = fields;
  const header = u64s(term, beginLsn, beginLsn, endLsn, commitLsn, truncateLsn);
  return Buffer.concat([tagOf('a'), header, Buffer.from(proposerId, 'hex'), wal]);
}

/** WAL bytes for an AppendRequest at `beginLsn`, as many as keep end_lsn within 64 bits. */
export function walAt(random: FuzzRandom, beginLsn: Lsn, maxBytes: number): Buffer {
  return random.bytes(U64_MAX - beginLsn < BigInt(maxBytes) ? 0 : random.int(0, maxBytes));
}

/** A well-formed message of each kind with random fields (never processed past decoding here). */
export function someMessage(random: FuzzRandom, target: FuzzTarget, letter: string): Buffer {
  if (letter === 'g')
    return greeting(target, { protocolVersion: random.pick([0, 1, 3, 9]), systemId: random.u64() });
  if (letter === 'v') return encodeProposerMessage({ tag: 'vote', term: random.u64() });
  if (letter === 'e')
    return encodeProposerMessage({
      tag: 'elected',
      term: random.u64(),
      startStreamingAt: random.u64(),
      termHistory: Array.from({ length: random.int(0, 3) }, () => ({
        term: random.u64(),
        lsn: random.u64(),
      })),
      timelineStartLsn: random.u64(),
    });
  const begin = target.flushLsn + BigInt(random.int(-4096, 4096));
  const wal = random.bytes(random.int(1, 256));
  const fields = {
    term: random.u64(),
    beginLsn: begin,
    endLsn: begin + BigInt(wal.length),
    commitLsn: begin,
    truncateLsn: begin,
  };
  return rawAppend(fields, random.hexId(), wal);
}

/** An LSN that is not where this safekeeper's WAL ends (so no write can happen there). */
export function lsnAwayFromEnd(random: FuzzRandom, target: FuzzTarget): Lsn {
  const end = target.flushLsn;
  const lsn = random.pick([
    0n,
    1n,
    end - 1n,
    end + 1n,
    end + (1n << 32n),
    end - 8192n,
    U64_MAX,
    random.u64(),
  ]);
  return lsn === end ? end + 8n : lsn;
}
