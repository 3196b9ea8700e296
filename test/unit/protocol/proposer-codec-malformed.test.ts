// The walproposer/safekeeper message codec on hostile input (bad tags, trailing bytes, absurd
// counts, inconsistent lengths: each an AppError('usage') naming the message and the problem)
// and its encoders on values that do not fit (an assertion, never silent truncation).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssertionError } from '../../../src/common/assert.js';
import {
  decodeAcceptorMessage,
  decodeProposerMessage,
  encodeAcceptorMessage,
  encodeProposerMessage,
} from '../../../src/protocol/proposer-codec.js';
import {
  MAX_APPEND_WAL_BYTES,
  type AppendRequest,
  type ProposerGreeting,
} from '../../../src/protocol/proposer-messages.js';
import {
  ACCEPTOR_CASES,
  APPEND_RESPONSE,
  appendRequest,
  expectMalformed,
  FEEDBACK,
  hexBytes,
  I64_MAX,
  messageNamed,
  PROPOSER_CASES,
  TENANT,
  U64_MAX,
  walOf,
} from '../../helpers/proposer-messages.js';

test('trailing bytes after any message are rejected', () => {
  const extra = Buffer.from([0]);
  for (const { message } of PROPOSER_CASES.filter((c) => c.message.tag !== 'append')) {
    const payload = Buffer.concat([encodeProposerMessage(message), extra]);
    expectMalformed(() => decodeProposerMessage(payload), /^malformed \w+: /);
  }
  for (const { message } of ACCEPTOR_CASES) {
    const payload = Buffer.concat([encodeAcceptorMessage(message), extra]);
    expectMalformed(
      () => decodeAcceptorMessage(payload),
      /: 1 unexpected bytes after the last field$/,
    );
  }
});

const TAG_CASES: readonly { name: string; tag: bigint; pattern: RegExp }[] = [
  { name: 'unknown letter', tag: 0x78n, pattern: /unknown tag 0x78 \('x'\)$/ },
  { name: 'zero', tag: 0n, pattern: /unknown tag 0x00$/ },
  { name: 'upper-case letter', tag: 0x47n, pattern: /unknown tag 0x47 \('G'\)$/ },
  {
    name: 'high byte set',
    tag: 0x0100_0000_0000_0067n,
    pattern: /tag 0x0100000000000067 has non-zero high bytes$/,
  },
  { name: 'second byte set', tag: 0x0167n, pattern: /tag 0x0000000000000167 has non-zero high/ },
];

for (const { name, tag, pattern } of TAG_CASES) {
  test(`a tag with ${name} is rejected in both directions`, () => {
    const payload = Buffer.alloc(80);
    payload.writeBigUInt64LE(tag);
    expectMalformed(() => decodeProposerMessage(payload), /^malformed proposer message: /);
    expectMalformed(() => decodeAcceptorMessage(payload), /^malformed acceptor message: /);
    expectMalformed(() => decodeProposerMessage(payload), pattern);
  });
}

test('empty payloads and tags of the other direction are rejected', () => {
  expectMalformed(() => decodeProposerMessage(new Uint8Array(0)), /message: empty payload$/);
  expectMalformed(() => decodeAcceptorMessage(Buffer.alloc(0)), /message: empty payload$/);
  const elected = encodeProposerMessage(
    messageNamed(PROPOSER_CASES, 'elected with an empty history'),
  );
  expectMalformed(() => decodeAcceptorMessage(elected), /acceptor message: unknown tag 0x65/);
});

/** An encoded message with a u32 or u64 overwritten at `offset`. */
function patched(encoded: Buffer, offset: number, value: number | bigint): Buffer {
  const copy = Buffer.from(encoded);
  if (typeof value === 'number') copy.writeUInt32LE(value, offset);
  else copy.writeBigUInt64LE(value, offset);
  return copy;
}

const ELECTED = encodeProposerMessage(
  messageNamed(PROPOSER_CASES, 'elected with three history entries'),
); // history count at byte 24
const VOTE_GIVEN = encodeAcceptorMessage(
  messageNamed(ACCEPTOR_CASES, 'vote given with two history entries'),
); // history count at byte 40
const APPEND_5 = encodeProposerMessage(messageNamed(PROPOSER_CASES, 'append with 5 WAL bytes')); // end_lsn at byte 32

const MALFORMED: readonly {
  name: string;
  decode: (payload: Uint8Array) => unknown;
  payload: Buffer;
  pattern: RegExp;
}[] = [
  {
    name: 'elected with a history count of 0xFFFFFFFF',
    decode: decodeProposerMessage,
    payload: patched(ELECTED, 24, 0xffff_ffff),
    pattern:
      /^malformed ProposerElected: term history count 4294967295 needs 68719476720 bytes but only 56 remain$/,
  },
  {
    name: 'elected with one entry too many',
    decode: decodeProposerMessage,
    payload: patched(ELECTED, 24, 4),
    pattern: /term history count 4 needs 64 bytes but only 56 remain$/,
  },
  {
    name: 'vote response with a history count of 0xFFFFFFFF',
    decode: decodeAcceptorMessage,
    payload: patched(VOTE_GIVEN, 40, 0xffff_ffff),
    pattern: /^malformed VoteResponse: term history count 4294967295 needs/,
  },
  {
    name: 'vote response with vote_given 2',
    decode: decodeAcceptorMessage,
    payload: patched(VOTE_GIVEN, 16, 2n),
    pattern: /^malformed VoteResponse: vote_given is 2, expected 0 or 1$/,
  },
  {
    name: 'vote response with vote_given 2^64-1',
    decode: decodeAcceptorMessage,
    payload: patched(VOTE_GIVEN, 16, U64_MAX),
    pattern: /vote_given is 18446744073709551615, expected 0 or 1$/,
  },
  {
    name: 'append with end_lsn before begin_lsn',
    decode: decodeProposerMessage,
    payload: patched(APPEND_5, 32, 0x16b_9187n),
    pattern: /^malformed AppendRequest: end_lsn 0\/16B9187 is before begin_lsn 0\/16B9188$/,
  },
  {
    name: 'append with fewer WAL bytes than its LSNs say',
    decode: decodeProposerMessage,
    payload: patched(APPEND_5, 32, 0x16b_9188n + 6n),
    pattern: /^malformed AppendRequest: 5 WAL bytes but end_lsn - begin_lsn is 6$/,
  },
  {
    name: 'append with more WAL bytes than its LSNs say',
    decode: decodeProposerMessage,
    payload: Buffer.concat([encodeProposerMessage(appendRequest(0n, walOf(96))), walOf(4)]),
    pattern: /^malformed AppendRequest: 100 WAL bytes but end_lsn - begin_lsn is 96$/,
  },
  {
    name: 'append with more WAL than the limit',
    decode: decodeProposerMessage,
    payload: patched(
      Buffer.concat([APPEND_5.subarray(0, 72), walOf(MAX_APPEND_WAL_BYTES + 1)]),
      32,
      0x16b_9188n + BigInt(MAX_APPEND_WAL_BYTES) + 1n,
    ),
    pattern: /^malformed AppendRequest: 131073 WAL bytes exceed the limit of 131072$/,
  },
];

for (const { name, decode, payload, pattern } of MALFORMED) {
  test(`${name} is rejected`, () => {
    expectMalformed(() => decode(payload), pattern);
  });
}

test('a vote request body must be 8 or 24 bytes', () => {
  const tag = hexBytes('76 00 00 00 00 00 00 00');
  for (let bodyBytes = 0; bodyBytes <= 40; bodyBytes++) {
    const payload = Buffer.concat([tag, Buffer.alloc(bodyBytes, 1)]);
    if (bodyBytes === 8 || bodyBytes === 24) {
      assert.deepEqual(decodeProposerMessage(payload), {
        tag: 'vote',
        term: 0x0101_0101_0101_0101n,
      });
    } else {
      expectMalformed(
        () => decodeProposerMessage(payload),
        new RegExp(`^malformed VoteRequest: body is ${bodyBytes} bytes, expected 8 or 24$`),
      );
    }
  }
});

const greeting = messageNamed(PROPOSER_CASES, 'greeting') as ProposerGreeting;
const append = messageNamed(PROPOSER_CASES, 'append with 5 WAL bytes') as AppendRequest;

const BAD_INPUTS: readonly { name: string; encode: () => Buffer; pattern: RegExp }[] = [
  {
    name: 'an upper-case tenant id',
    encode: () =>
      encodeProposerMessage({ ...greeting, tenantId: TENANT.toUpperCase() as typeof TENANT }),
    pattern: /tenant_id "DE200BD42B49CC1814412C7E592DD6E9" is not 32 lower-case hex/,
  },
  {
    name: 'a short proposer id',
    encode: () => encodeProposerMessage({ ...greeting, proposerId: 'abcd' }),
    pattern: /proposer_id "abcd" is not 32 lower-case hex/,
  },
  {
    name: 'a proposer uuid with a non-hex character',
    encode: () =>
      encodeProposerMessage({
        ...append,
        header: { ...append.header, proposerId: `${'0'.repeat(31)}g` },
      }),
    pattern: /proposer_uuid ".*g" is not 32 lower-case hex/,
  },
  {
    name: 'a pg_version above u32',
    encode: () => encodeProposerMessage({ ...greeting, pgVersion: 2 ** 32 }),
    pattern: /pg_version 4294967296 is outside 0\.\.4294967295/,
  },
  {
    name: 'a fractional wal_seg_size',
    encode: () => encodeProposerMessage({ ...greeting, walSegSize: 1.5 }),
    pattern: /wal_seg_size 1\.5 is outside/,
  },
  {
    name: 'a term of 2^64',
    encode: () => encodeProposerMessage({ tag: 'vote', term: 2n ** 64n }),
    pattern: /VoteRequest term 18446744073709551616 is outside/,
  },
  {
    name: 'a negative node id',
    encode: () => encodeAcceptorMessage({ tag: 'greeting', term: 1n, nodeId: -1n }),
    pattern: /node_id -1 is outside/,
  },
  {
    name: 'a feedback reply time beyond i64',
    encode: () =>
      encodeAcceptorMessage({
        ...APPEND_RESPONSE,
        pageserverFeedback: { ...FEEDBACK, psReplyTimeMicros: I64_MAX + 1n },
      }),
    pattern: /ps_replytime 9223372036854775808 is outside/,
  },
  {
    name: 'WAL shorter than its LSNs',
    encode: () => encodeProposerMessage({ ...append, walBytes: walOf(4) }),
    pattern: /carries 4 WAL bytes but end_lsn - begin_lsn is 5/,
  },
  {
    name: 'end_lsn before begin_lsn',
    encode: () =>
      encodeProposerMessage({
        ...append,
        header: { ...append.header, endLsn: 0n },
        walBytes: walOf(0),
      }),
    pattern: /end_lsn is before begin_lsn/,
  },
  {
    name: 'more WAL than the limit',
    encode: () => encodeProposerMessage(appendRequest(0n, walOf(MAX_APPEND_WAL_BYTES + 1))),
    pattern: /too many WAL bytes/,
  },
];

for (const { name, encode, pattern } of BAD_INPUTS) {
  test(`encoding ${name} fails an assertion`, () => {
    assert.throws(encode, (error: unknown) => {
      assert.ok(error instanceof AssertionError, `an AssertionError, not ${String(error)}`);
      assert.match(error.message, pattern);
      return true;
    });
  });
}
