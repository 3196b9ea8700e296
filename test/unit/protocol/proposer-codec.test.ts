// The walproposer/safekeeper message codec: round trips at the edges, byte layouts written out by
// hand (so a wrong width or endianness fails), the pageserver feedback block, and truncation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeAcceptorMessage,
  decodeProposerMessage,
  encodeAcceptorMessage,
  encodeAppendRequestHead,
  encodeProposerMessage,
} from '../../../src/protocol/proposer-codec.js';
import type { AppendRequest } from '../../../src/protocol/proposer-messages.js';
import {
  COPY_DATA_HEADER_BYTES,
  copyDataInPlace,
  encodeCopyData,
} from '../../../src/postgres/wire/copy-messages.js';
import {
  ACCEPTOR_CASES,
  APPEND_RESPONSE,
  appendRequest,
  appendResponseWith,
  expectMalformed,
  feedbackEntry,
  hexBytes,
  messageNamed,
  PROPOSER_CASES,
  PROPOSER_ID,
  walOf,
  ZERO_FEEDBACK,
} from '../../helpers/proposer-messages.js';

for (const { name, message, bytes } of PROPOSER_CASES) {
  test(`proposer ${name}: round trip in ${bytes} bytes`, () => {
    const encoded = encodeProposerMessage(message);
    assert.equal(encoded.length, bytes);
    assert.deepEqual(decodeProposerMessage(encoded), message);
  });
}

for (const { name, message } of PROPOSER_CASES) {
  if (message.tag !== 'append') continue;
  test(`proposer ${name}: the encoded head followed by the WAL is the whole message`, () => {
    const head = encodeAppendRequestHead(message.header, message.walBytes.length);
    assert.deepEqual(Buffer.concat([head, message.walBytes]), encodeProposerMessage(message));
  });
}

for (const { name, message } of ACCEPTOR_CASES) {
  test(`acceptor ${name}: encoded after headroom and framed in place, it is the CopyData frame`, () => {
    const framed = copyDataInPlace(encodeAcceptorMessage(message, COPY_DATA_HEADER_BYTES));
    assert.deepEqual(framed, encodeCopyData(encodeAcceptorMessage(message)));
  });
}

test('an AppendRequest head followed by several WAL parts is the one from their concatenation', () => {
  const parts = [walOf(3), walOf(70_000), walOf(1)];
  const message = appendRequest(0x16b_9188n, Buffer.concat(parts));
  const head = encodeAppendRequestHead(message.header, 70_004);
  assert.deepEqual(Buffer.concat([head, ...parts]), encodeProposerMessage(message));
  assert.throws(
    () => encodeAppendRequestHead(message.header, 70_001),
    /carries 70001 WAL bytes but end_lsn - begin_lsn is 70004/,
  );
});

for (const { name, message, bytes } of ACCEPTOR_CASES) {
  test(`acceptor ${name}: round trip in ${bytes} bytes`, () => {
    const encoded = encodeAcceptorMessage(message);
    assert.equal(encoded.length, bytes);
    assert.deepEqual(decodeAcceptorMessage(encoded), message);
  });
}

test('a payload inside a larger buffer decodes, and the WAL is a view of it', () => {
  const message = appendRequest(0x16b_9188n, walOf(40));
  const encoded = encodeProposerMessage(message);
  const backing = new ArrayBuffer(encoded.length + 13);
  const payload = new Uint8Array(backing, 7, encoded.length);
  payload.set(encoded);
  const decoded = decodeProposerMessage(payload);
  assert.deepEqual(decoded, message);
  assert.ok(decoded.tag === 'append');
  assert.equal(decoded.walBytes.buffer, backing);
  assert.equal(decoded.walBytes.byteOffset, 7 + 72);
});

test('golden: proposer greeting', () => {
  const golden = hexBytes(
    '67 00 00 00 00 00 00 00', // tag 'g'
    '02 00 00 00', // protocol_version 2
    'f4 49 02 00', // pg_version 150004
    'a1b2c3d4e5f60718293a4b5c6d7e8f90', // proposer_id
    '08 07 06 05 04 03 02 01', // system_id
    '0123456789abcdef0123456789abcdef', // timeline_id
    'de200bd42b49cc1814412c7e592dd6e9', // tenant_id
    '01 00 00 00', // tli
    '00 00 00 01', // wal_seg_size 16 MiB
  );
  const message = messageNamed(PROPOSER_CASES, 'greeting');
  assert.deepEqual(encodeProposerMessage(message), golden);
  assert.deepEqual(decodeProposerMessage(golden), message);
});

test('golden: vote request with and without the trailing proposer id', () => {
  const short = hexBytes('76 00 00 00 00 00 00 00', '09 00 00 00 00 00 00 00');
  const long = Buffer.concat([short, Buffer.alloc(16)]);
  assert.deepEqual(encodeProposerMessage({ tag: 'vote', term: 9n }), long);
  assert.deepEqual(decodeProposerMessage(short), { tag: 'vote', term: 9n });
  const withId = Buffer.concat([short, Buffer.from(PROPOSER_ID, 'hex')]);
  assert.deepEqual(decodeProposerMessage(withId), { tag: 'vote', term: 9n });
});

test('golden: append request header and WAL', () => {
  const golden = hexBytes(
    '61 00 00 00 00 00 00 00', // tag 'a'
    '03 00 00 00 00 00 00 00', // term
    '00 00 00 01 00 00 00 00', // epoch_start_lsn 0/1000000
    '88 91 6b 01 00 00 00 00', // begin_lsn 0/16B9188
    '8c 91 6b 01 00 00 00 00', // end_lsn 0/16B918C
    '00 90 6b 01 00 00 00 00', // commit_lsn 0/16B9000
    '28 00 00 01 00 00 00 00', // truncate_lsn 0/1000028
    'a1b2c3d4e5f60718293a4b5c6d7e8f90', // proposer_uuid
    'de ad be ef', // WAL
  );
  const message: AppendRequest = {
    tag: 'append',
    header: {
      term: 3n,
      epochStartLsn: 0x100_0000n,
      beginLsn: 0x16b_9188n,
      endLsn: 0x16b_918cn,
      commitLsn: 0x16b_9000n,
      truncateLsn: 0x100_0028n,
      proposerId: PROPOSER_ID,
    },
    walBytes: hexBytes('deadbeef'),
  };
  assert.deepEqual(encodeProposerMessage(message), golden);
  assert.deepEqual(decodeProposerMessage(golden), message);
});

test('golden: append response with its big-endian feedback block', () => {
  const golden = appendResponseWith(
    5,
    feedbackEntry('current_timeline_size', hexBytes('01 02 03 04 05 06 07 08')),
    feedbackEntry('ps_writelsn', hexBytes('00 00 00 00 01 6b 91 8c')),
    feedbackEntry('ps_flushlsn', hexBytes('00 00 00 00 01 6b 91 88')),
    feedbackEntry('ps_applylsn', hexBytes('00 00 00 00 01 00 00 00')),
    feedbackEntry('ps_replytime', hexBytes('00 02 9f 3c 11 22 33 44')),
  );
  assert.equal(golden.subarray(57 + 21, 57 + 26).toString('hex'), '0000000008');
  assert.deepEqual(encodeAcceptorMessage(APPEND_RESPONSE), golden);
  assert.deepEqual(decodeAcceptorMessage(golden), APPEND_RESPONSE);
});

test('feedback keys are read in any order, unknown keys skipped, missing keys 0', () => {
  const payload = appendResponseWith(
    4,
    feedbackEntry('ps_replytime', hexBytes('ff ff ff ff ff ff ff fe')),
    feedbackEntry('ps_future_field', hexBytes('aa bb cc')),
    feedbackEntry('ps_applylsn', hexBytes('00 00 00 00 01 00 00 00')),
    feedbackEntry('', Buffer.alloc(0)),
  );
  const decoded = decodeAcceptorMessage(payload);
  assert.ok(decoded.tag === 'append');
  assert.deepEqual(decoded.pageserverFeedback, {
    ...ZERO_FEEDBACK,
    psApplyLsn: 0x100_0000n,
    psReplyTimeMicros: -2n,
  });
  const empty = decodeAcceptorMessage(appendResponseWith(0));
  assert.ok(empty.tag === 'append');
  assert.deepEqual(empty.pageserverFeedback, ZERO_FEEDBACK);
});

const EIGHT = Buffer.alloc(8);
const BAD_FEEDBACK: readonly { name: string; payload: Buffer; pattern: RegExp }[] = [
  {
    name: 'a known key of length 4',
    payload: appendResponseWith(1, feedbackEntry('ps_flushlsn', Buffer.alloc(4))),
    pattern: /"ps_flushlsn" has length 4, expected 8/,
  },
  {
    name: 'a negative length',
    payload: appendResponseWith(1, feedbackEntry('ps_other', EIGHT, -1)),
    pattern: /"ps_other" has negative length -1/,
  },
  {
    name: 'a length past the end',
    payload: appendResponseWith(1, feedbackEntry('ps_other', EIGHT, 9)),
    pattern: /"ps_other" length 9 runs past the end \(8 bytes left\)/,
  },
  {
    name: 'a key without NUL',
    payload: Buffer.concat([appendResponseWith(1), Buffer.from('ps_writelsn')]),
    pattern: /pageserver feedback key at byte 57 has no terminating NUL/,
  },
  {
    name: 'a known key twice',
    payload: appendResponseWith(
      2,
      feedbackEntry('ps_writelsn', EIGHT),
      feedbackEntry('ps_writelsn', EIGHT),
    ),
    pattern: /"ps_writelsn" appears twice/,
  },
  {
    name: 'fewer keys than counted',
    payload: appendResponseWith(2, feedbackEntry('ps_writelsn', EIGHT)),
    pattern:
      /truncated at byte 81 while reading pageserver feedback key \(needs 1 bytes, 0 left\)$/,
  },
];

for (const { name, payload, pattern } of BAD_FEEDBACK) {
  test(`feedback with ${name} is rejected`, () => {
    expectMalformed(() => decodeAcceptorMessage(payload), /^malformed AppendResponse: /);
    expectMalformed(() => decodeAcceptorMessage(payload), pattern);
  });
}

const TRUNCATION_CASES: readonly {
  name: string;
  encoded: Buffer;
  decode: (payload: Uint8Array) => unknown;
  validLengths: readonly number[];
}[] = [
  ...PROPOSER_CASES.map(({ name, message }) => ({
    name: `proposer ${name}`,
    encoded: encodeProposerMessage(message),
    decode: decodeProposerMessage,
    // A vote request's term alone (tag + 8 bytes) is a valid older form.
    validLengths: message.tag === 'vote' ? [16] : [],
  })),
  ...ACCEPTOR_CASES.map(({ name, message }) => ({
    name: `acceptor ${name}`,
    encoded: encodeAcceptorMessage(message),
    decode: decodeAcceptorMessage,
    validLengths: [],
  })),
];

for (const { name, encoded, decode, validLengths } of TRUNCATION_CASES) {
  test(`every truncation of ${name} is rejected`, () => {
    for (let length = 0; length < encoded.length; length++) {
      if (validLengths.includes(length)) continue;
      expectMalformed(() => decode(encoded.subarray(0, length)), /^malformed [a-z ]*[A-Za-z]+: /);
    }
  });
}
