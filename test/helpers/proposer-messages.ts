// Walproposer/safekeeper messages for the codec tests: edge-value cases of every message with
// their encoded sizes, hand-written bytes (hex, feedback entries) and the malformed-input check.
import assert from 'node:assert/strict';
import { AppError } from '../../src/common/errors.js';
import { parseTenantId, parseTimelineId } from '../../src/common/hex-id.js';
import {
  MAX_APPEND_WAL_BYTES,
  type AcceptorMessage,
  type AppendRequest,
  type AppendResponse,
  type PageserverFeedback,
  type ProposerMessage,
} from '../../src/protocol/proposer-messages.js';

export interface MessageCase<T> {
  readonly name: string;
  readonly message: T;
  /** Encoded size, tag included. */
  readonly bytes: number;
}

/** The message of the case called `name` (a typo fails loudly). */
export function messageNamed<T>(cases: readonly MessageCase<T>[], name: string): T {
  const found = cases.find((candidate) => candidate.name === name);
  assert.ok(found !== undefined, `no message case "${name}"`);
  return found.message;
}

export const U64_MAX = 2n ** 64n - 1n;
export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;
export const U32_MAX = 2 ** 32 - 1;
export const TENANT = parseTenantId('de200bd42b49cc1814412c7e592dd6e9');
export const TIMELINE = parseTimelineId('0123456789abcdef0123456789abcdef');
export const PROPOSER_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const ZERO_ID = '0'.repeat(32);

/** Bytes from hex written by hand; spaces are for the reader. */
export function hexBytes(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replaceAll(' ', ''), 'hex');
}

export function walOf(lengthBytes: number): Buffer {
  return Buffer.from(Array.from({ length: lengthBytes }, (_, i) => (i * 31 + 7) & 0xff));
}

export function appendRequest(beginLsn: bigint, walBytes: Buffer, term = 3n): AppendRequest {
  const endLsn = beginLsn + BigInt(walBytes.length);
  return {
    tag: 'append',
    header: {
      term,
      epochStartLsn: beginLsn,
      beginLsn,
      endLsn,
      commitLsn: beginLsn,
      truncateLsn: beginLsn,
      proposerId: PROPOSER_ID,
    },
    walBytes,
  };
}

export const FEEDBACK: PageserverFeedback = {
  currentTimelineSizeBytes: 0x0102_0304_0506_0708n,
  psWriteLsn: 0x16b_918cn,
  psFlushLsn: 0x16b_9188n,
  psApplyLsn: 0x100_0000n,
  psReplyTimeMicros: 0x0002_9f3c_1122_3344n,
};

export const ZERO_FEEDBACK: PageserverFeedback = {
  currentTimelineSizeBytes: 0n,
  psWriteLsn: 0n,
  psFlushLsn: 0n,
  psApplyLsn: 0n,
  psReplyTimeMicros: 0n,
};

export const APPEND_RESPONSE: AppendResponse = {
  tag: 'append',
  term: 5n,
  flushLsn: 0x16b_918cn,
  commitLsn: 0x16b_9188n,
  hotStandbyFeedback: { timestampMicros: -2n, xmin: 0x1234n, catalogXmin: 0x56n },
  pageserverFeedback: FEEDBACK,
};

export const PROPOSER_CASES: readonly MessageCase<ProposerMessage>[] = [
  {
    name: 'greeting',
    bytes: 80,
    message: {
      tag: 'greeting',
      protocolVersion: 2,
      pgVersion: 150_004,
      proposerId: PROPOSER_ID,
      systemId: 0x0102_0304_0506_0708n,
      timelineId: TIMELINE,
      tenantId: TENANT,
      pgTimeline: 1,
      walSegSize: 16 * 1024 * 1024,
    },
  },
  {
    name: 'greeting at the edges',
    bytes: 80,
    message: {
      tag: 'greeting',
      protocolVersion: U32_MAX,
      pgVersion: 0,
      proposerId: ZERO_ID,
      systemId: U64_MAX,
      timelineId: parseTimelineId('f'.repeat(32)),
      tenantId: parseTenantId(ZERO_ID),
      pgTimeline: U32_MAX,
      walSegSize: 0,
    },
  },
  { name: 'vote request term 0', bytes: 32, message: { tag: 'vote', term: 0n } },
  { name: 'vote request term 2^64-1', bytes: 32, message: { tag: 'vote', term: U64_MAX } },
  {
    name: 'elected with an empty history',
    bytes: 36,
    message: {
      tag: 'elected',
      term: 0n,
      startStreamingAt: 0n,
      termHistory: [],
      timelineStartLsn: 0n,
    },
  },
  {
    name: 'elected with three history entries',
    bytes: 36 + 3 * 16,
    message: {
      tag: 'elected',
      term: U64_MAX,
      startStreamingAt: U64_MAX,
      termHistory: [
        { term: 1n, lsn: 0x100_0000n },
        { term: 7n, lsn: 0x16b_9188n },
        { term: U64_MAX, lsn: U64_MAX },
      ],
      timelineStartLsn: U64_MAX,
    },
  },
  {
    name: 'append with no WAL at 2^64-1',
    bytes: 72,
    message: appendRequest(U64_MAX, Buffer.alloc(0), U64_MAX),
  },
  { name: 'append with 5 WAL bytes', bytes: 77, message: appendRequest(0x16b_9188n, walOf(5)) },
  {
    name: 'append with the most WAL',
    bytes: 72 + MAX_APPEND_WAL_BYTES,
    message: appendRequest(0xffff_0000n, walOf(MAX_APPEND_WAL_BYTES)),
  },
];

export const ACCEPTOR_CASES: readonly MessageCase<AcceptorMessage>[] = [
  { name: 'greeting', bytes: 24, message: { tag: 'greeting', term: 0n, nodeId: 1n } },
  {
    name: 'greeting at 2^64-1',
    bytes: 24,
    message: { tag: 'greeting', term: U64_MAX, nodeId: U64_MAX },
  },
  {
    name: 'vote refused with an empty history',
    bytes: 52,
    message: {
      tag: 'vote',
      term: 0n,
      voteGiven: false,
      flushLsn: 0n,
      truncateLsn: 0n,
      termHistory: [],
      timelineStartLsn: 0n,
    },
  },
  {
    name: 'vote given with two history entries',
    bytes: 52 + 2 * 16,
    message: {
      tag: 'vote',
      term: U64_MAX,
      voteGiven: true,
      flushLsn: U64_MAX,
      truncateLsn: 0x100_0000n,
      termHistory: [
        { term: 2n, lsn: 0x100_0000n },
        { term: U64_MAX, lsn: U64_MAX },
      ],
      timelineStartLsn: 0x100_0000n,
    },
  },
  { name: 'append response', bytes: 56 + 1 + 131, message: APPEND_RESPONSE },
  {
    name: 'append response at the edges',
    bytes: 188,
    message: {
      tag: 'append',
      term: U64_MAX,
      flushLsn: 0n,
      commitLsn: U64_MAX,
      hotStandbyFeedback: { timestampMicros: I64_MIN, xmin: U64_MAX, catalogXmin: 0n },
      pageserverFeedback: {
        currentTimelineSizeBytes: U64_MAX,
        psWriteLsn: 0n,
        psFlushLsn: U64_MAX,
        psApplyLsn: 1n,
        psReplyTimeMicros: I64_MAX,
      },
    },
  },
  {
    name: 'append response with zero feedback',
    bytes: 188,
    message: {
      ...APPEND_RESPONSE,
      hotStandbyFeedback: { timestampMicros: 0n, xmin: 0n, catalogXmin: 0n },
      pageserverFeedback: ZERO_FEEDBACK,
    },
  },
];

export function expectMalformed(decode: () => unknown, pattern: RegExp): void {
  assert.throws(decode, (error: unknown) => {
    assert.ok(error instanceof AppError, `an AppError, not ${String(error)}`);
    assert.equal(error.code, 'usage');
    assert.match(error.message, pattern);
    return true;
  });
}

/** A feedback entry as the pageserver writes it: key, NUL, i32 BE length, value. */
export function feedbackEntry(key: string, value: Buffer, lengthBytes = value.length): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(lengthBytes);
  return Buffer.concat([Buffer.from(`${key}\0`, 'latin1'), length, value]);
}

export const APPEND_RESPONSE_HEAD = hexBytes(
  '61 00 00 00 00 00 00 00', // tag 'a'
  '05 00 00 00 00 00 00 00', // term
  '8c 91 6b 01 00 00 00 00', // flush_lsn
  '88 91 6b 01 00 00 00 00', // commit_lsn
  'fe ff ff ff ff ff ff ff', // hot-standby ts -2 (little-endian)
  '34 12 00 00 00 00 00 00', // xmin
  '56 00 00 00 00 00 00 00', // catalog_xmin
);

export function appendResponseWith(keyCount: number, ...entries: Buffer[]): Buffer {
  return Buffer.concat([APPEND_RESPONSE_HEAD, Buffer.from([keyCount]), ...entries]);
}
