// Fuzz cases for the startup of a WAL service connection: random bytes, bad length fields,
// protocol versions other than 3.0 and parameter lists that do not name a timeline (or do not
// parse), a quarter of them after an SSL or GSSENC request. The server must refuse each one
// with FATAL 08P01, or close once the client gives up on a packet it still waits for.
import { STARTUP_CODES } from '../../src/postgres/wire/frame-reader.js';
import type { Expectation } from './wire-fuzz-runner.js';
import {
  gssEncRequest,
  INT32_MAX,
  INT32_MIN,
  isKnownStartupCode,
  rawStartupFrame,
  sslRequest,
  startupBody,
  startupVerdict,
  type CaseDraft,
  type CaseGenerator,
  type FuzzRandom,
  type FuzzTarget,
} from './wire-fuzz-frames.js';

const FATAL: Expectation = { kind: 'fatal', sqlState: '08P01' };

/** A startup packet, after an SSL or GSSENC request (answered 'N') in a quarter of the cases. */
export function startupCase(random: FuzzRandom, label: string, packet: Buffer): CaseDraft {
  const encryption = random.pick([undefined, undefined, undefined, sslRequest, gssEncRequest]);
  const verdict = startupVerdict(packet);
  return {
    label: encryption === undefined ? label : `${encryption.name} then ${label}`,
    bytes: Buffer.concat([encryption?.() ?? Buffer.alloc(0), packet]),
    sslAnswer: encryption !== undefined,
    expect: verdict === 'incomplete' ? { kind: 'incomplete' } : FATAL,
  };
}

function presentTimelineParameters(target: FuzzTarget): [string, string][] {
  return [
    ['ztenantid', target.tenantId],
    ['ztimelineid', target.timelineId],
  ];
}

const startupRandomBytes: CaseGenerator = (random) => {
  const shape = random.pick(['noise', 'complete', 'short'] as const);
  const bytes = random.bytes(shape === 'noise' ? random.int(1, 64) : random.int(8, 300));
  if (shape === 'complete') bytes.writeInt32BE(bytes.length, 0);
  if (shape === 'short') bytes.writeInt32BE(random.int(bytes.length + 1, 10_000), 0);
  // The special codes are requests with their own meaning; keep the packet meaningless.
  if (bytes.length >= 8 && isKnownStartupCode(bytes.readInt32BE(4))) bytes.writeUInt8(0x7f, 4);
  return startupCase(random, `${shape} random startup bytes`, bytes);
};

const startupBadLength: CaseGenerator = (random, target) => {
  const length = random.pick([
    0,
    1,
    3,
    4,
    7,
    -1,
    -8,
    INT32_MIN,
    10_001,
    65_536,
    1 << 24,
    INT32_MAX,
    random.int(10_001, INT32_MAX),
    random.int(INT32_MIN, -1),
  ]);
  const body = startupBody(presentTimelineParameters(target));
  const packet = rawStartupFrame(length, STARTUP_CODES.protocolV3, body);
  return startupCase(random, `startup length ${length}`, packet);
};

const startupBadProtocol: CaseGenerator = (random, target) => {
  let code = random.pick([
    0,
    1 << 16,
    2 << 16,
    (3 << 16) | 1,
    (3 << 16) | 2,
    4 << 16,
    0xffff,
    -1,
    (1234 << 16) | 5677,
    random.int(INT32_MIN, INT32_MAX),
  ]);
  if (isKnownStartupCode(code)) code = (2 << 16) | 7;
  const body = startupBody(presentTimelineParameters(target));
  return startupCase(
    random,
    `startup protocol code ${code}`,
    rawStartupFrame(8 + body.length, code, body),
  );
};

/** Startup parameter lists that do not name a timeline properly, or do not parse. */
function badParameterBody(random: FuzzRandom, target: FuzzTarget): [string, Buffer] {
  const { tenantId, timelineId } = target;
  const badId = random.pick([
    '',
    'xyz',
    tenantId.toUpperCase(),
    tenantId.slice(1),
    `${tenantId}0`,
    ` ${tenantId.slice(1)}`,
    '../../../../etc/passwd',
    'g'.repeat(32),
    random.bytes(16).toString('base64'),
  ]);
  const variants: [string, () => Buffer][] = [
    ['no parameters', () => startupBody([])],
    ['no tenant', () => startupBody([['ztimelineid', timelineId]])],
    ['no timeline', () => startupBody([['tenant_id', tenantId]])],
    ['only application_name', () => startupBody([['application_name', 'x']])],
    [
      `tenant "${badId}"`,
      () =>
        startupBody([
          ['ztenantid', badId],
          ['ztimelineid', timelineId],
        ]),
    ],
    [
      `timeline "${badId}"`,
      () =>
        startupBody([
          ['tenant_id', tenantId],
          ['timeline_id', badId],
        ]),
    ],
    [
      'two spellings disagree',
      () =>
        startupBody([...presentTimelineParameters(target), ['tenant_id', target.absentTenantId]]),
    ],
    [
      `options naming "${badId}"`,
      () => startupBody([['options', `-c ztenantid=${badId} -c ztimelineid=${timelineId}`]]),
    ],
    [
      'malformed options',
      () =>
        startupBody([
          ...presentTimelineParameters(target),
          [
            'options',
            random.pick(['-c', '-c ztenantid', '-x y', 'a', '=a', '--=x', 'a\\', '-c a=1 -c a=2']),
          ],
        ]),
    ],
    ['no final NUL', () => startupBody(presentTimelineParameters(target)).subarray(0, -1)],
    ['a name without value', () => Buffer.from(`ztenantid\0${tenantId}\0ztimelineid\0`)],
    [
      'a duplicate name',
      () => startupBody([...presentTimelineParameters(target), ['ztenantid', tenantId]]),
    ],
    [
      'an empty name inside',
      () => Buffer.concat([startupBody([]), startupBody(presentTimelineParameters(target))]),
    ],
    ['invalid UTF-8', () => Buffer.concat([Buffer.from([0xc3, 0x28, 0]), Buffer.from(`x\0\0`)])],
    [
      'too many parameters',
      () => startupBody(Array.from({ length: 65 }, (_, i): [string, string] => [`p${i}`, 'v'])),
    ],
  ];
  const [label, build] = random.pick(variants);
  return [label, build()];
}

const startupBadParameters: CaseGenerator = (random, target) => {
  const [label, body] = badParameterBody(random, target);
  const packet = rawStartupFrame(8 + body.length, STARTUP_CODES.protocolV3, body);
  return startupCase(random, `startup with ${label}`, packet);
};

export const STARTUP_CATEGORIES: Readonly<Record<string, CaseGenerator>> = {
  'startup: random bytes': startupRandomBytes,
  'startup: bad length': startupBadLength,
  'startup: wrong protocol version': startupBadProtocol,
  'startup: bad timeline parameters': startupBadParameters,
};
