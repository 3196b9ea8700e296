// The PostgreSQL v3 wire codecs: exact bytes of the encoders, strict decoders, the incremental
// frame reader (any chunking, limits checked before a body is awaited, sticky failures),
// startup parameters with the legacy options forms, and physical replication payloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../../src/common/errors.js';
import { LSN_MAX } from '../../../src/postgres/lsn.js';
import {
  decodeAuthentication,
  decodeBackendKeyData,
  decodeCommandComplete,
  decodeCopyResponse,
  decodeDataRow,
  decodeParameterStatus,
  decodeReadyForQuery,
  decodeRowDescription,
  encodeAuthenticationOk,
  encodeBackendKeyData,
  encodeCommandComplete,
  encodeCopyBothResponse,
  encodeCopyData,
  encodeCopyDone,
  encodeCopyOutResponse,
  encodeDataRow,
  encodeNoticeResponse,
  encodeParameterStatus,
  encodeReadyForQuery,
  encodeRowDescription,
  SSL_NOT_SUPPORTED,
} from '../../../src/postgres/wire/backend-messages.js';
import {
  decodeErrorResponse,
  encodeErrorResponse,
} from '../../../src/postgres/wire/error-response.js';
import {
  FrameReader,
  STARTUP_CODES,
  type WireFrame,
} from '../../../src/postgres/wire/frame-reader.js';
import * as frontend from '../../../src/postgres/wire/frontend-messages.js';
import { TYPE_OIDS } from '../../../src/postgres/wire/pg-types.js';
import {
  decodePrimaryKeepalive,
  decodeStandbyStatusUpdate,
  decodeXLogData,
  encodePrimaryKeepalive,
  encodeStandbyStatusUpdate,
  encodeXLogData,
  encodeXLogDataFrameHead,
  postgresEpochMicrosNow,
} from '../../../src/postgres/wire/replication-messages.js';
import {
  MAX_STARTUP_PARAMETERS,
  parseStartupParameters,
} from '../../../src/postgres/wire/startup-parameters.js';

const LIMITS = { maxStartupBytes: 10_000, maxMessageBytes: 1_048_576 };

/** Bytes from parts: a string is ASCII text, an array is raw bytes. */
function bytes(...parts: (string | number[])[]): Buffer {
  return Buffer.concat(
    parts.map((part) =>
      typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part),
    ),
  );
}

/** The body of a whole message frame. */
function bodyOf(frame: Buffer): Buffer {
  return frame.subarray(5);
}

function isUsageError(pattern: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `an AppError, not ${String(error)}`);
    assert.equal(error.code, 'usage');
    assert.match(error.message, pattern);
    return true;
  };
}

test('encoders produce the exact bytes of the protocol', () => {
  const table: [string, Buffer, Buffer][] = [
    ['AuthenticationOk', encodeAuthenticationOk(), bytes('R', [0, 0, 0, 8, 0, 0, 0, 0])],
    ['ParameterStatus', encodeParameterStatus('a', 'bc'), bytes('S', [0, 0, 0, 9], 'a\0bc\0')],
    [
      'BackendKeyData',
      encodeBackendKeyData(258, -1),
      bytes('K', [0, 0, 0, 12, 0, 0, 1, 2, 0xff, 0xff, 0xff, 0xff]),
    ],
    ['ReadyForQuery', encodeReadyForQuery('T'), bytes('Z', [0, 0, 0, 5], 'T')],
    ['CopyBothResponse', encodeCopyBothResponse(), bytes('W', [0, 0, 0, 7, 0, 0, 0])],
    ['CopyOutResponse', encodeCopyOutResponse(), bytes('H', [0, 0, 0, 7, 0, 0, 0])],
    ['CopyData', encodeCopyData(Buffer.from([1, 2, 3])), bytes('d', [0, 0, 0, 7, 1, 2, 3])],
    ['CopyDone', encodeCopyDone(), bytes('c', [0, 0, 0, 4])],
    [
      'RowDescription',
      encodeRowDescription([{ name: 'x', typeOid: TYPE_OIDS.int4 }]),
      // name, table oid 0, column 0, type oid 23, typlen 4, typmod -1, text format
      bytes(
        'T',
        [0, 0, 0, 26, 0, 1],
        'x\0',
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 23, 0, 4, 255, 255, 255, 255, 0, 0],
      ),
    ],
    [
      'DataRow',
      encodeDataRow(['ab', null, '']),
      bytes('D', [0, 0, 0, 20, 0, 3, 0, 0, 0, 2], 'ab', [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
    ],
    ['CommandComplete', encodeCommandComplete('SELECT 1'), bytes('C', [0, 0, 0, 13], 'SELECT 1\0')],
    [
      'ErrorResponse',
      encodeErrorResponse('FATAL', '28000', 'no'),
      bytes('E', [0, 0, 0, 30], 'SFATAL\0VFATAL\0C28000\0Mno\0\0'),
    ],
    [
      'NoticeResponse',
      encodeNoticeResponse('WARNING', '01000', 'hm'),
      bytes('N', [0, 0, 0, 34], 'SWARNING\0VWARNING\0C01000\0Mhm\0\0'),
    ],
    ['SSL refusal', SSL_NOT_SUPPORTED, bytes('N')],
    [
      'StartupMessage',
      frontend.encodeStartupMessage({ user: 'u', database: 'db' }),
      bytes([0, 0, 0, 28, 0, 3, 0, 0], 'user\0u\0database\0db\0\0'),
    ],
    ['SSLRequest', frontend.encodeSslRequest(), bytes([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])],
    ['Query', frontend.encodeQuery('SELECT 1'), bytes('Q', [0, 0, 0, 13], 'SELECT 1\0')],
    ['Terminate', frontend.encodeTerminate(), bytes('X', [0, 0, 0, 4])],
  ];
  for (const [name, actual, expected] of table) {
    assert.equal(actual.toString('hex'), expected.toString('hex'), name);
  }
  assert.equal(frontend.encodeCopyData, encodeCopyData, 'one CopyData encoder for both sides');
  assert.equal(frontend.encodeCopyDone, encodeCopyDone, 'one CopyDone encoder for both sides');
  assert.throws(() => frontend.encodeQuery('SELECT 1\0'), isUsageError(/NUL/));
  assert.throws(() => frontend.encodeStartupMessage({ '': 'x' }), isUsageError(/empty/));
  assert.match(
    encodeErrorResponse('ERROR', 'XX000', 'a\0b').toString('utf8'),
    /Ma\uFFFDb\0\0$/,
    'an error message with a NUL is still reported',
  );
});

test('decoders read back what the encoders wrote', () => {
  assert.equal(decodeAuthentication(bodyOf(encodeAuthenticationOk())), 0);
  assert.equal(decodeAuthentication(bytes([0, 0, 0, 5, 1, 2, 3, 4])), 5, 'MD5 request with salt');
  assert.deepEqual(decodeParameterStatus(bodyOf(encodeParameterStatus('TimeZone', 'UTC'))), {
    name: 'TimeZone',
    value: 'UTC',
  });
  assert.deepEqual(decodeBackendKeyData(bodyOf(encodeBackendKeyData(42, -7))), {
    processId: 42,
    secretKey: -7,
  });
  assert.deepEqual(encodeBackendKeyData(1, 0xffff_ffff), encodeBackendKeyData(1, -1), 'unsigned');
  assert.equal(decodeReadyForQuery(bodyOf(encodeReadyForQuery('E'))), 'E');
  assert.deepEqual(decodeCopyResponse(bodyOf(encodeCopyBothResponse())), {
    overallFormat: 0,
    columnFormats: [],
  });
  assert.deepEqual(
    decodeRowDescription(
      bodyOf(
        encodeRowDescription([
          { name: 'lsn', typeOid: TYPE_OIDS.pgLsn },
          { name: 'név', typeOid: TYPE_OIDS.text },
        ]),
      ),
    ),
    [
      {
        name: 'lsn',
        tableOid: 0,
        columnNumber: 0,
        typeOid: 3220,
        typeSizeBytes: 8,
        typeModifier: -1,
        formatCode: 0,
      },
      {
        name: 'név',
        tableOid: 0,
        columnNumber: 0,
        typeOid: 25,
        typeSizeBytes: -1,
        typeModifier: -1,
        formatCode: 0,
      },
    ],
  );
  const row = decodeDataRow(bodyOf(encodeDataRow(['0/16B9188', null, '', 'ü'])));
  assert.deepEqual(
    row.map((value) => value?.toString('utf8') ?? null),
    ['0/16B9188', null, '', 'ü'],
  );
  assert.equal(decodeCommandComplete(bodyOf(encodeCommandComplete('COPY 0'))), 'COPY 0');
  assert.equal(frontend.decodeQuery(bodyOf(frontend.encodeQuery("SELECT 'ü'"))), "SELECT 'ü'");
  const error = decodeErrorResponse(bodyOf(encodeErrorResponse('ERROR', '42601', 'syntax')));
  assert.deepEqual(
    { severity: error.severity, sqlState: error.sqlState, message: error.message },
    { severity: 'ERROR', sqlState: '42601', message: 'syntax' },
  );
  assert.equal(error.fields.get('S'), 'ERROR');
  const withDetail = bytes('SERREUR\0VERROR\0C55000\0Mm\0Dmore\0\0');
  assert.equal(decodeErrorResponse(withDetail).severity, 'ERROR', 'V wins over localized S');
  assert.equal(decodeErrorResponse(withDetail).fields.get('D'), 'more');
});

test('decoders reject malformed bodies with a message naming the problem', () => {
  const table: [string, () => unknown, RegExp][] = [
    [
      'short auth',
      () => decodeAuthentication(bytes([0, 0])),
      /Authentication: truncated at byte 0 while reading request code \(needs 4/,
    ],
    ['long auth ok', () => decodeAuthentication(bytes([0, 0, 0, 0, 9])), /1 unexpected bytes/],
    [
      'status no value',
      () => decodeParameterStatus(bytes('a\0b')),
      /value at byte 2 has no terminating NUL/,
    ],
    ['ready unknown', () => decodeReadyForQuery(bytes('X')), /unknown transaction status 'X'/],
    [
      'ready empty',
      () => decodeReadyForQuery(bytes()),
      /reading transaction status \(needs 1 bytes/,
    ],
    ['copy format', () => decodeCopyResponse(bytes([2, 0, 0])), /unknown overall format 2/],
    [
      'row desc short',
      () => decodeRowDescription(bytes([0, 1], 'x\0', [0])),
      /table oid of field 0/,
    ],
    ['row desc negative', () => decodeRowDescription(bytes([0xff, 0xff])), /negative field count/],
    [
      'data row short',
      () => decodeDataRow(bytes([0, 1, 0, 0, 0, 5], 'ab')),
      /reading value of column 0 \(needs 5 bytes/,
    ],
    [
      'data row -2',
      () => decodeDataRow(bytes([0, 1, 0xff, 0xff, 0xff, 0xfe])),
      /invalid length -2 of column 0/,
    ],
    [
      'data row extra',
      () => decodeDataRow(bytes([0, 0, 7])),
      /1 unexpected bytes after the last column/,
    ],
    [
      'tag no NUL',
      () => decodeCommandComplete(bytes('SELECT 1')),
      /command tag at byte 0 has no terminating NUL/,
    ],
    ['tag empty', () => decodeCommandComplete(bytes('\0')), /empty command tag/],
    [
      'query no NUL',
      () => frontend.decodeQuery(bytes('SELECT 1')),
      /Query: query text at byte 0 has no terminating NUL/,
    ],
    ['query inner NUL', () => frontend.decodeQuery(bytes('SELECT\x001\0')), /NUL byte at offset 6/],
    [
      'query UTF-8',
      () => frontend.decodeQuery(bytes([0x53, 0xff, 0])),
      /Query query text is not valid UTF-8/,
    ],
    [
      'error no end',
      () => decodeErrorResponse(bytes('SERROR\0C42601\0Mm\0')),
      /reading field type \(needs 1 bytes/,
    ],
    ['error no code', () => decodeErrorResponse(bytes('SERROR\0Mm\0\0')), /no SQLSTATE field/],
    [
      'error bad code',
      () => decodeErrorResponse(bytes('SERROR\0Cabc\0Mm\0\0')),
      /invalid SQLSTATE "abc"/,
    ],
    [
      'error twice',
      () => decodeErrorResponse(bytes('SERROR\0SERROR\0\0')),
      /field 'S' appears twice/,
    ],
    [
      'error no message',
      () => decodeErrorResponse(bytes('SERROR\0C42601\0\0')),
      /no message field/,
    ],
  ];
  for (const [name, decode, pattern] of table) {
    assert.throws(decode, isUsageError(pattern), name);
  }
});

/** Takes every complete frame, switching to messages after a StartupMessage, as a server does. */
function drainFrames(reader: FrameReader, into: WireFrame[]): void {
  for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
    into.push(frame);
    if (frame.kind === 'startup' && frame.code === STARTUP_CODES.protocolV3) {
      reader.setPhase('messages');
    }
  }
}

function describeFrames(frames: readonly WireFrame[]): string[] {
  return frames.map((frame) =>
    frame.kind === 'startup'
      ? `startup ${frame.code} ${frame.body.toString('hex')}`
      : `${frame.type} ${frame.body.toString('hex')}`,
  );
}

test('the frame reader yields the same frames however the stream is split', () => {
  const stream = Buffer.concat([
    frontend.encodeSslRequest(),
    frontend.encodeStartupMessage({ user: 'sk', options: '-c timeline_id=x' }),
    frontend.encodeQuery('START_WAL_PUSH'),
    encodeCopyData(Buffer.alloc(3000, 7)),
    encodeCopyData(Buffer.alloc(0)),
    frontend.encodeTerminate(),
  ]);
  const whole: WireFrame[] = [];
  const reader = new FrameReader(LIMITS, 'startup');
  reader.push(stream);
  drainFrames(reader, whole);
  const expected = describeFrames(whole);
  assert.deepEqual(
    expected.map((line) => line.slice(0, 16)),
    ['startup 80877103', 'startup 196608 7', 'Q 53544152545f57', `d ${'07'.repeat(7)}`, 'd ', 'X '],
  );
  assert.equal(reader.bufferedBytes, 0);
  for (let split = 0; split <= stream.length; split++) {
    const frames: WireFrame[] = [];
    const splitReader = new FrameReader(LIMITS, 'startup');
    splitReader.push(stream.subarray(0, split));
    drainFrames(splitReader, frames);
    splitReader.push(stream.subarray(split));
    drainFrames(splitReader, frames);
    assert.deepEqual(describeFrames(frames), expected, `split at ${split}`);
  }
  const byteReader = new FrameReader(LIMITS, 'startup');
  const frames: WireFrame[] = [];
  for (const byte of stream) {
    byteReader.push(Buffer.from([byte]));
    drainFrames(byteReader, frames);
  }
  assert.deepEqual(describeFrames(frames), expected, 'one byte at a time');
});

test('the frame reader takes many frames from one chunk as views, and copies spanning frames', () => {
  const count = 10_000;
  const chunk = Buffer.concat(
    Array.from({ length: count }, (_, index) => encodeCopyData(Buffer.from(`${index}`))),
  );
  const reader = new FrameReader(LIMITS, 'messages');
  reader.push(chunk);
  assert.equal(reader.bufferedBytes, chunk.length);
  const frames: WireFrame[] = [];
  drainFrames(reader, frames);
  assert.equal(frames.length, count);
  assert.equal(frames[count - 1]?.body.toString(), `${count - 1}`);
  assert.equal(reader.bufferedBytes, 0);
  chunk.fill(0x55);
  assert.equal(frames[0]?.body.toString('latin1'), 'U', 'bodies within one chunk are views');

  const spanning = encodeCopyData(Buffer.from('spanning'));
  reader.push(spanning.subarray(0, 8));
  assert.equal(reader.next(), undefined);
  reader.push(spanning.subarray(8));
  const frame = reader.next();
  assert.equal(frame?.body.toString(), 'spanning');
  spanning.fill(0x55);
  assert.equal(frame.body.toString(), 'spanning', 'a frame over two chunks is a copy');
});

test('a transient frame reader reuses one buffer for spanning frames and hands back the rest', () => {
  const frames = [
    encodeCopyData(Buffer.alloc(300, 1)),
    encodeCopyData(Buffer.alloc(200, 2)),
    encodeCopyData(Buffer.alloc(100, 3)),
  ];
  const stream = Buffer.concat(frames);
  const reader = new FrameReader(LIMITS, 'messages', { isTransient: true });
  // As the wire client uses it: each read is pushed, framed, and what is left is moved into a
  // carry buffer before the read buffer is used again.
  const readBuffer = Buffer.alloc(128);
  const seen: string[] = [];
  const assemblies = new Set<ArrayBufferLike>();
  let carry = Buffer.alloc(0);
  for (let at = 0; at < stream.length; at += readBuffer.length) {
    const read = stream.subarray(at, at + readBuffer.length);
    readBuffer.set(read);
    reader.push(readBuffer.subarray(0, read.length));
    for (let frame = reader.next(); frame !== undefined; frame = reader.next()) {
      seen.push(`${frame.body.length}x${frame.body[0]}`);
      if (frame.body.buffer !== readBuffer.buffer) assemblies.add(frame.body.buffer);
    }
    const rest = reader.takeRemainder();
    assert.equal(reader.bufferedBytes, 0, 'takeRemainder forgets what it hands back');
    carry = Buffer.from(rest);
    readBuffer.fill(0xee);
    reader.push(carry);
  }
  assert.deepEqual(seen, ['300x1', '200x2', '100x3']);
  assert.equal(assemblies.size, 1, 'spanning frames are assembled in one reused buffer');
  assert.equal(reader.takeRemainder().length, 0);
  assert.equal(reader.next(), undefined);
});

test('the frame reader rejects a bad length before the body arrives, and stays failed', () => {
  const table: [string, 'startup' | 'messages', Buffer, RegExp][] = [
    [
      '2 GB message',
      'messages',
      bytes('d', [0x7f, 0xff, 0xff, 0xff]),
      /invalid frame length 2147483647 for message 'd': at most 1048576/,
    ],
    [
      'one over the limit',
      'messages',
      bytes('Q', [0, 0x10, 0, 1]),
      /length 1048577 for message 'Q': at most 1048576/,
    ],
    [
      'length below 4',
      'messages',
      bytes('X', [0, 0, 0, 3]),
      /length 3 for message 'X': at least 4/,
    ],
    [
      'negative length',
      'messages',
      bytes([0, 0xff, 0xff, 0xff, 0xff]),
      /length -1 for message 0x00: at least 4/,
    ],
    ['startup below 8', 'startup', bytes([0, 0, 0, 7]), /length 7 for startup packet: at least 8/],
    [
      'startup too long',
      'startup',
      bytes([0, 0, 0x27, 0x11]),
      /length 10001 for startup packet: at most 10000/,
    ],
    [
      'startup 2 GB',
      'startup',
      bytes([0x7f, 0xff, 0xff, 0xff]),
      /length 2147483647 for startup packet/,
    ],
  ];
  for (const [name, phase, header, pattern] of table) {
    const reader = new FrameReader(LIMITS, phase);
    const arrayBytesBefore = process.memoryUsage().arrayBuffers;
    reader.push(header.subarray(0, header.length - 1));
    assert.equal(reader.next(), undefined, `${name}: the length is not complete yet`);
    reader.push(header.subarray(header.length - 1));
    let first: unknown;
    assert.throws(
      () => reader.next(),
      (error: unknown) => {
        first = error;
        return isUsageError(pattern)(error);
      },
      name,
    );
    assert.ok(
      process.memoryUsage().arrayBuffers - arrayBytesBefore < 1_048_576,
      `${name}: no allocation`,
    );
    reader.push(Buffer.alloc(100));
    assert.equal(reader.bufferedBytes, 0, `${name}: nothing is buffered after the failure`);
    assert.throws(
      () => reader.next(),
      (error: unknown) => error === first,
      `${name}: sticky`,
    );
  }
  const atLimit = new FrameReader({ maxStartupBytes: 8, maxMessageBytes: 6 }, 'messages');
  atLimit.push(bytes('d', [0, 0, 0, 6, 1, 2]));
  assert.equal(atLimit.next()?.body.length, 2, 'a length equal to the limit is accepted');
});

test('a phase switch applies to bytes already buffered', () => {
  const reader = new FrameReader(LIMITS, 'startup');
  reader.push(
    Buffer.concat([frontend.encodeStartupMessage({ user: 'u' }), frontend.encodeQuery('x')]),
  );
  const startup = reader.next();
  assert.equal(startup?.kind === 'startup' && startup.code, STARTUP_CODES.protocolV3);
  reader.setPhase('messages');
  const query = reader.next();
  assert.equal(query?.kind === 'message' && frontend.decodeQuery(query.body), 'x');
  assert.equal(reader.next(), undefined);
});

/** The StartupMessage body after the protocol code. */
function startupBody(params: Record<string, string>): Buffer {
  return frontend.encodeStartupMessage(params).subarray(8);
}

test('startup parameters: explicit pairs and the options forms', () => {
  const table: [Record<string, string>, Record<string, string>][] = [
    [
      { user: 'u', database: 'd' },
      { user: 'u', database: 'd' },
    ],
    [
      { user: 'u', application_name: '' },
      { user: 'u', application_name: '' },
    ],
    [
      { options: '-c timeline_id=aa tenant_id=bb' },
      { options: '-c timeline_id=aa tenant_id=bb', timeline_id: 'aa', tenant_id: 'bb' },
    ],
    [{ options: '-ctimeline_id=aa' }, { options: '-ctimeline_id=aa', timeline_id: 'aa' }],
    [{ options: '--timeline-id=aa' }, { options: '--timeline-id=aa', timeline_id: 'aa' }],
    [{ options: ' \t-c  a=1\n  b= ' }, { options: ' \t-c  a=1\n  b= ', a: '1', b: '' }],
    [{ options: '-c a=x\\ y\\\\z' }, { options: '-c a=x\\ y\\\\z', a: 'x y\\z' }],
    [{ options: '-c a=b=c' }, { options: '-c a=b=c', a: 'b=c' }],
    [{ options: '' }, { options: '' }],
    [
      { user: 'u', application_name: 'app', options: '-c application_name=other -c x=1' },
      { user: 'u', application_name: 'app', options: '-c application_name=other -c x=1', x: '1' },
    ],
  ];
  for (const [params, expected] of table) {
    const parsed = parseStartupParameters(startupBody(params));
    assert.deepEqual(Object.fromEntries(parsed), expected, JSON.stringify(params));
  }
});

test('startup parameters: malformed bodies and options are rejected', () => {
  const many = (count: number): Buffer =>
    startupBody(Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, 'v'])));
  assert.equal(parseStartupParameters(many(MAX_STARTUP_PARAMETERS)).size, MAX_STARTUP_PARAMETERS);
  const table: [string, Buffer, RegExp][] = [
    ['empty body', bytes(), /no NUL ends the parameter list/],
    ['no final NUL', bytes('user\0u\0'), /no NUL ends the parameter list/],
    ['name without value', bytes('user\0'), /parameter user has no value/],
    [
      'value without NUL',
      bytes('user\0u'),
      /value of parameter user at byte 5 has no terminating NUL/,
    ],
    ['name without NUL', bytes('user'), /parameter name at byte 0 has no terminating NUL/],
    ['empty name', bytes('\0user\0u\0\0'), /empty parameter name at offset 0/],
    ['bytes after the end', bytes('user\0u\0\0x'), /empty parameter name at offset 7/],
    ['duplicate', bytes('a\x001\0a\x002\0\0'), /parameter a appears twice/],
    [
      'bad UTF-8',
      bytes('user\0', [0xc3, 0x28, 0], '\0'),
      /value of parameter user is not valid UTF-8/,
    ],
    ['too many', many(MAX_STARTUP_PARAMETERS + 1), /too many startup parameters: at most 64/],
    [
      'too many with options',
      startupBody({
        ...Object.fromEntries(Array.from({ length: 63 }, (_, i) => [`p${i}`, 'v'])),
        options: 'a=1',
      }),
      /too many startup parameters/,
    ],
    [
      '-c at the end',
      startupBody({ options: 'a=1 -c' }),
      /options: -c is not followed by name=value/,
    ],
    ['no equals', startupBody({ options: '-c a' }), /options: "a" is not name=value/],
    ['empty name', startupBody({ options: '--=1' }), /options: "=1" has an empty name/],
    ['other switch', startupBody({ options: '-B 100' }), /unsupported switch "-B"/],
    ['set twice', startupBody({ options: '-c a=1 --a=2' }), /options: a is set twice/],
    ['lone backslash', startupBody({ options: '-c a=1\\' }), /ends with a lone backslash/],
  ];
  for (const [name, body, pattern] of table) {
    assert.throws(() => parseStartupParameters(body), isUsageError(pattern), name);
  }
});

test('replication messages: golden bytes and round trips', () => {
  const xlog = {
    walStartLsn: 0x0102030405060708n,
    walEndLsn: 0x16b9188n,
    sendTimeMicros: 0x0a0bn,
    bytes: Buffer.from([0xaa, 0xbb]),
  };
  assert.equal(
    encodeXLogData(xlog).toString('hex'),
    '77' + '0102030405060708' + '00000000016b9188' + '0000000000000a0b' + 'aabb',
  );
  const keepalive = { walEndLsn: 0x16b9188n, sendTimeMicros: -2n, replyRequested: true };
  assert.equal(
    encodePrimaryKeepalive(keepalive).toString('hex'),
    '6b' + '00000000016b9188' + 'fffffffffffffffe' + '01',
  );
  const status = {
    writeLsn: 3n,
    flushLsn: 2n,
    applyLsn: 1n,
    sendTimeMicros: 0x0102n,
    replyRequested: false,
  };
  assert.equal(
    encodeStandbyStatusUpdate(status).toString('hex'),
    '72' + '0000000000000003' + '0000000000000002' + '0000000000000001' + '0000000000000102' + '00',
  );
  assert.deepEqual(decodeXLogData(encodeXLogData(xlog)), xlog);
  assert.deepEqual(
    Buffer.concat([encodeXLogDataFrameHead(xlog), xlog.bytes]),
    encodeCopyData(encodeXLogData(xlog)),
    'the frame head followed by the WAL is the CopyData frame of the XLogData',
  );
  const empty = {
    walStartLsn: LSN_MAX,
    walEndLsn: LSN_MAX,
    sendTimeMicros: 0n,
    bytes: Buffer.alloc(0),
  };
  assert.deepEqual(decodeXLogData(encodeXLogData(empty)), empty);
  assert.deepEqual(decodePrimaryKeepalive(encodePrimaryKeepalive(keepalive)), keepalive);
  assert.deepEqual(decodeStandbyStatusUpdate(encodeStandbyStatusUpdate(status)), status);
  assert.throws(() => encodeXLogData({ ...xlog, walStartLsn: -1n }), /is an LSN/);
});

test('replication messages: decoders are strict', () => {
  const keepalive = encodePrimaryKeepalive({
    walEndLsn: 1n,
    sendTimeMicros: 1n,
    replyRequested: false,
  });
  const status = encodeStandbyStatusUpdate({
    writeLsn: 1n,
    flushLsn: 1n,
    applyLsn: 1n,
    sendTimeMicros: 1n,
    replyRequested: true,
  });
  const badFlag = Buffer.from(keepalive);
  badFlag[badFlag.length - 1] = 2;
  const table: [string, () => unknown, RegExp][] = [
    [
      'keepalive as XLogData',
      () => decodeXLogData(keepalive),
      /XLogData: tag is 0x6b, expected 'w'/,
    ],
    [
      'short XLogData',
      () => decodeXLogData(bytes('w', [0, 0, 0])),
      /XLogData: truncated at byte 1 while reading WAL start \(needs 8 bytes/,
    ],
    [
      'empty payload',
      () => decodePrimaryKeepalive(bytes()),
      /keepalive: truncated at byte 0 while reading tag \(needs 1 bytes/,
    ],
    [
      'long keepalive',
      () => decodePrimaryKeepalive(Buffer.concat([keepalive, bytes([0])])),
      /1 unexpected bytes after the reply flag/,
    ],
    [
      'short keepalive',
      () => decodePrimaryKeepalive(keepalive.subarray(0, 17)),
      /reading reply flag \(needs 1 bytes/,
    ],
    ['reply flag 2', () => decodePrimaryKeepalive(badFlag), /reply flag is 2, expected 0 or 1/],
    ['status as keepalive', () => decodePrimaryKeepalive(status), /tag is 0x72, expected 'k'/],
    [
      'short status',
      () => decodeStandbyStatusUpdate(status.subarray(0, 20)),
      /standby status update: truncated at byte 17 while reading apply LSN \(needs 8 bytes, 3 left\)$/,
    ],
  ];
  for (const [name, decode, pattern] of table) {
    assert.throws(decode, isUsageError(pattern), name);
  }
});

test('PostgreSQL epoch microseconds', () => {
  assert.equal(postgresEpochMicrosNow(Date.UTC(2000, 0, 1)), 0n);
  assert.equal(postgresEpochMicrosNow(Date.UTC(2000, 0, 1, 0, 0, 1, 500)), 1_500_000n);
  assert.equal(postgresEpochMicrosNow(Date.UTC(1999, 11, 31, 23, 59, 59)), -1_000_000n);
  const before = postgresEpochMicrosNow(Date.now());
  const now = postgresEpochMicrosNow();
  assert.ok(now >= before && now - before < 5_000_000n, `${now} is now`);
});
