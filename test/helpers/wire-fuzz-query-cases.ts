// Fuzz cases for a WAL service connection after a valid startup: bad message lengths, unknown
// message types, malformed Query text, the extended query protocol, unsupported commands (an
// ERROR, and the connection still answers), frames cut short in any phase, and frames sent in
// the wrong phase. None of them is a valid request that changes anything.
import { STARTUP_CODES } from '../../src/postgres/wire/frame-reader.js';
import {
  encodeCopyData,
  encodeQuery,
  encodeStartupMessage,
} from '../../src/postgres/wire/frontend-messages.js';
import { formatLsn } from '../../src/postgres/lsn.js';
import type { Expectation } from './wire-fuzz-runner.js';
import { startupCase } from './wire-fuzz-startup-cases.js';
import {
  correctGreeting,
  INT32_MAX,
  INT32_MIN,
  messageFrame,
  messageVerdict,
  rawMessageFrame,
  rawStartupFrame,
  SERVER_MAX_MESSAGE_BYTES,
  sslRequest,
  validStartup,
  walPushPrefix,
  type CaseDraft,
  type CaseGenerator,
  type FuzzRandom,
  type FuzzTarget,
} from './wire-fuzz-frames.js';

const PROTOCOL_VIOLATION = '08P01';
const FATAL: Expectation = { kind: 'fatal', sqlState: PROTOCOL_VIOLATION };
const MIB = 1024 * 1024;

/** A frame sent after a valid startup (for either timeline); its framing decides the answer. */
function afterStartupCase(
  random: FuzzRandom,
  target: FuzzTarget,
  label: string,
  frame: Buffer,
): CaseDraft {
  const verdict = messageVerdict(frame);
  const prefix = validStartup(target, random.chance(0.8) ? 'present' : 'absent');
  return {
    label,
    bytes: Buffer.concat([prefix, frame]),
    expect: verdict === 'incomplete' ? { kind: 'incomplete' } : FATAL,
  };
}

const messageBadLength: CaseGenerator = (random, target) => {
  const type = random.pick([0x51, 0x58, 0x64, 0x63, 0x66, 0x50, random.int(0, 255)]);
  const length = random.pick([
    INT32_MIN,
    -1,
    0,
    1,
    2,
    3,
    SERVER_MAX_MESSAGE_BYTES + 1,
    MIB + 1,
    INT32_MAX,
    random.int(SERVER_MAX_MESSAGE_BYTES + 1, INT32_MAX),
    random.int(INT32_MIN, -1),
  ]);
  const frame = rawMessageFrame(type, length, random.bytes(random.int(0, 16)));
  return afterStartupCase(
    random,
    target,
    `message 0x${type.toString(16)} of length ${length}`,
    frame,
  );
};

const messageUnknownType: CaseGenerator = (random, target) => {
  let type = random.int(0, 255);
  if (type === 0x51 || type === 0x58) type = 0x71;
  const body = random.bytes(random.int(0, 200));
  const frame = rawMessageFrame(type, 4 + body.length, body);
  return afterStartupCase(random, target, `message type 0x${type.toString(16)}`, frame);
};

const queryMalformedText: CaseGenerator = (random, target) => {
  const text = Buffer.from(random.pick(['IDENTIFY_SYSTEM', 'SELECT 1', 'START_WAL_PUSH', '']));
  const variants: [string, Buffer][] = [
    ['without NUL', text],
    ['with a NUL inside', Buffer.concat([text, Buffer.from('\0;\0')])],
    ['with invalid UTF-8', Buffer.concat([text, Buffer.from([0xff, 0xed, 0xa0, 0x80, 0])])],
    ['empty', Buffer.alloc(0)],
  ];
  const [label, body] = random.pick(variants);
  return afterStartupCase(random, target, `Query ${label}`, messageFrame('Q', body));
};

const extendedProtocol: CaseGenerator = (random, target) => {
  const int16 = (value: number): Buffer => Buffer.from([value >> 8, value & 0xff]);
  const variants: [string, string, Buffer][] = [
    [
      'Parse',
      'P',
      Buffer.concat([Buffer.from('s1\0IDENTIFY_SYSTEM\0'), int16(1), Buffer.alloc(4)]),
    ],
    ['Bind', 'B', Buffer.concat([Buffer.from('\0s1\0'), int16(0), int16(0), int16(0)])],
    ['Execute', 'E', Buffer.concat([Buffer.from('\0'), Buffer.alloc(4)])],
    ['Describe', 'D', Buffer.from('Ss1\0')],
    ['Sync', 'S', Buffer.alloc(0)],
    ['Flush', 'H', Buffer.alloc(0)],
    ['Close', 'C', Buffer.from('Ss1\0')],
    ['FunctionCall', 'F', Buffer.concat([Buffer.alloc(4), int16(0), int16(0), int16(0)])],
  ];
  const [name, type, body] = random.pick(variants);
  return afterStartupCase(random, target, name, messageFrame(type, body));
};

const SERVED_KEYWORDS = [
  'IDENTIFY_SYSTEM',
  'SHOW',
  'READ_REPLICATION_SLOT',
  'START_WAL_PUSH',
  'START_REPLICATION',
];

/** Printable text whose first word is not a command the service runs. */
function randomCommandText(random: FuzzRandom): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ_ abcdefghijklmnopqrstuvwxyz0123456789/;(){}"=*-';
  const text = Array.from({ length: random.int(1, 60) }, () =>
    alphabet.charAt(random.int(0, alphabet.length - 1)),
  ).join('');
  const [keyword = ''] = text.trim().replace(/;\s*$/, '').split(/\s+/, 1);
  return SERVED_KEYWORDS.includes(keyword.toUpperCase()) ? `X${text}` : text;
}

const unsupportedCommand: CaseGenerator = (random, target) => {
  const flush = target.flushLsn;
  const beyond = formatLsn(flush + BigInt(random.int(1, 2 ** 30)));
  const below = formatLsn(BigInt(random.int(0, Number(target.localStartLsn) - 1)));
  const variants: [string, 'present' | 'absent' | 'recovery', string][] = [
    [random.pick(['SELECT 1', 'BEGIN', 'JSON_CTRL {"term":9}']), 'present', '0A000'],
    [random.pick(['SHOW server_version', 'SHOW "lc_messages"']), 'present', '42704'],
    [random.pick(['SHOW', 'SHOW a b', 'READ_REPLICATION_SLOT']), 'present', PROTOCOL_VIOLATION],
    ['SHOW wal_segment_size', 'absent', '42704'],
    [
      random.pick(['', ' ', ';', 'TIMELINE_HISTORY 1', 'BASE_BACKUP', 'callmemaybe']),
      'absent',
      '0A000',
    ],
    [randomCommandText(random), random.pick(['present', 'absent']), '0A000'],
    ['IDENTIFY_SYSTEM', 'absent', '42704'],
    [`START_REPLICATION PHYSICAL ${formatLsn(flush)}`, 'absent', '42704'],
    [`START_REPLICATION ${beyond}`, 'present', PROTOCOL_VIOLATION],
    [
      random.pick(['START_REPLICATION', 'START_REPLICATION X/Y', 'START_REPLICATION 1/123456789']),
      'recovery',
      PROTOCOL_VIOLATION,
    ],
    [`START_REPLICATION ${formatLsn(flush)} TIMELINE 2`, 'recovery', PROTOCOL_VIOLATION],
    [
      `START_REPLICATION ${random.pick([beyond, below, 'FFFFFFFF/FFFFFFFF'])}`,
      'recovery',
      PROTOCOL_VIOLATION,
    ],
  ];
  const [sql, connection, sqlState] = random.pick(variants);
  const startup =
    connection === 'recovery'
      ? encodeStartupMessage({
          ztenantid: target.tenantId,
          ztimelineid: target.timelineId,
          application_name: 'wal_proposer_recovery',
        })
      : validStartup(target, connection);
  return {
    label: `"${sql}" on the ${connection} timeline`,
    bytes: Buffer.concat([startup, encodeQuery(sql)]),
    expect: { kind: 'error', sqlState },
  };
};

const frameTruncated: CaseGenerator = (random, target) => {
  const phase = random.pick(['startup', 'query', 'copy'] as const);
  const prefix = {
    startup: Buffer.alloc(0),
    query: validStartup(target),
    copy: walPushPrefix(target),
  }[phase];
  const frame = {
    startup: validStartup(target),
    query: encodeQuery('IDENTIFY_SYSTEM'),
    copy: correctGreeting(target),
  }[phase];
  const cut = random.int(1, frame.length - 1);
  return {
    label: `${phase} frame cut at ${cut} of ${frame.length} bytes`,
    bytes: Buffer.concat([prefix, frame.subarray(0, cut)]),
    expect: { kind: 'incomplete' },
  };
};

const outOfOrderWire: CaseGenerator = (random, target) => {
  const before: [string, Buffer][] = [
    ['Query before the startup', encodeQuery('IDENTIFY_SYSTEM')],
    ['CopyData before the startup', encodeCopyData(Buffer.from('g'))],
    ['Sync before the startup', messageFrame('S', Buffer.alloc(0))],
  ];
  const afterStartup: [string, Buffer][] = [
    ['a second StartupMessage', validStartup(target)],
    ['SSLRequest after the startup', sslRequest()],
    [
      'CancelRequest after the startup',
      rawStartupFrame(16, STARTUP_CODES.cancelRequest, Buffer.alloc(8)),
    ],
    ['CopyData before START_WAL_PUSH', correctGreeting(target)],
    ['CopyDone before START_WAL_PUSH', messageFrame('c', Buffer.alloc(0))],
    ['CopyFail before START_WAL_PUSH', messageFrame('f', Buffer.from('no\0'))],
  ];
  const duringCopy: [string, Buffer][] = [
    ['START_WAL_PUSH during COPY', encodeQuery('START_WAL_PUSH')],
    ['IDENTIFY_SYSTEM during COPY', encodeQuery('IDENTIFY_SYSTEM')],
    ['Sync during COPY', messageFrame('S', Buffer.alloc(0))],
  ];
  const phase = random.pick(['before', 'after', 'copy'] as const);
  if (phase === 'before') {
    const [label, frame] = random.pick(before);
    return startupCase(random, label, frame);
  }
  if (phase === 'after') {
    const [label, frame] = random.pick(afterStartup);
    return afterStartupCase(random, target, label, frame);
  }
  const [label, frame] = random.pick(duringCopy);
  const greeted = random.chance(0.5);
  const prefix = Buffer.concat([
    walPushPrefix(target),
    greeted ? correctGreeting(target) : Buffer.alloc(0),
  ]);
  return {
    label: `${label}${greeted ? ' after the greeting' : ''}`,
    bytes: Buffer.concat([prefix, frame]),
    expect: FATAL,
  };
};

export const QUERY_CATEGORIES: Readonly<Record<string, CaseGenerator>> = {
  'query: bad message length': messageBadLength,
  'query: unknown message type': messageUnknownType,
  'query: malformed Query text': queryMalformedText,
  'query: extended protocol': extendedProtocol,
  'query: unsupported command (ERROR)': unsupportedCommand,
  'any phase: frame cut short': frameTruncated,
  'any phase: out-of-order frames': outOfOrderWire,
};
