// Building blocks of the WAL service fuzz cases: a seeded random source, raw frames with any
// length field (the encoders of src/postgres/wire refuse to build wrong ones), the session
// prefixes a case starts from, and how the server splits what it is sent into frames, so that a
// case knows whether its last frame is complete (and answered) or one the server waits for.
import {
  encodeCopyData,
  encodeQuery,
  encodeStartupMessage,
} from '../../src/postgres/wire/frontend-messages.js';
import { STARTUP_CODES } from '../../src/postgres/wire/frame-reader.js';
import type { TenantId, TimelineId } from '../../src/common/hex-id.js';
import type { Lsn } from '../../src/postgres/lsn.js';
import { encodeProposerMessage } from '../../src/protocol/proposer-codec.js';
import {
  PROPOSER_PROTOCOL_VERSION,
  type ProposerGreeting,
} from '../../src/protocol/proposer-messages.js';
import { seededRandom } from './wal.js';
import type { FuzzCase } from './wire-fuzz-runner.js';

/** The server's frame limits (pg-wire/wire-connection.ts): a length beyond them is refused at once. */
export const SERVER_MAX_STARTUP_BYTES = 10_000;
export const SERVER_MAX_MESSAGE_BYTES = 256 * 1024;
export const INT32_MAX = 2 ** 31 - 1;
export const INT32_MIN = -(2 ** 31);
export const U64_MAX = 2n ** 64n - 1n;

/** The timeline under test as the daemon holds it, and a valid id pair it does not hold. */
export interface FuzzTarget {
  readonly tenantId: TenantId;
  readonly timelineId: TimelineId;
  readonly absentTenantId: TenantId;
  readonly absentTimelineId: TimelineId;
  readonly systemId: bigint;
  readonly pgVersion: number;
  readonly segmentSizeBytes: number;
  readonly term: bigint;
  /** flush_lsn = write_lsn = commit_lsn (the setup checks it). */
  readonly flushLsn: Lsn;
  readonly localStartLsn: Lsn;
  readonly proposerId: string;
}

/** A case as a generator makes it; the list adds its category and how it is split. */
export type CaseDraft = Omit<FuzzCase, 'category' | 'splitAt' | 'sslAnswer'> & {
  readonly sslAnswer?: boolean;
};
export type CaseGenerator = (random: FuzzRandom, target: FuzzTarget) => CaseDraft;

export class FuzzRandom {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** An integer from `min` to `max`, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  bytes(count: number): Buffer {
    return Buffer.from(Array.from({ length: count }, () => this.int(0, 255)));
  }

  u64(): bigint {
    return this.bytes(8).readBigUInt64LE(0);
  }

  hexId(): string {
    return this.bytes(16).toString('hex');
  }
}

/** A startup-phase packet with whatever length field and code are given. */
export function rawStartupFrame(lengthField: number, code: number, body: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt32BE(lengthField, 0);
  header.writeInt32BE(code, 4);
  return Buffer.concat([header, body]);
}

/** A typed message with whatever type byte and length field are given. */
export function rawMessageFrame(typeByte: number, lengthField: number, body: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(typeByte, 0);
  header.writeInt32BE(lengthField, 1);
  return Buffer.concat([header, body]);
}

/** A typed message whose length field matches its body. */
export function messageFrame(type: string, body: Uint8Array): Buffer {
  return rawMessageFrame(type.charCodeAt(0), 4 + body.length, body);
}

/** A StartupMessage body from raw name/value pairs (duplicates and odd names allowed). */
export function startupBody(pairs: readonly (readonly [string, string])[]): Buffer {
  return Buffer.from(`${pairs.map(([name, value]) => `${name}\0${value}\0`).join('')}\0`);
}

export function sslRequest(): Buffer {
  return rawStartupFrame(8, STARTUP_CODES.sslRequest, Buffer.alloc(0));
}

export function gssEncRequest(): Buffer {
  return rawStartupFrame(8, STARTUP_CODES.gssEncRequest, Buffer.alloc(0));
}

export type TimelineChoice = 'present' | 'absent';

/** A valid StartupMessage for the timeline under test or for the absent one. */
export function validStartup(target: FuzzTarget, timeline: TimelineChoice = 'present'): Buffer {
  const present = timeline === 'present';
  return encodeStartupMessage({
    ztenantid: present ? target.tenantId : target.absentTenantId,
    ztimelineid: present ? target.timelineId : target.absentTimelineId,
    application_name: 'wal-service-fuzz',
  });
}

/** Startup and START_WAL_PUSH: what follows is proposer messages in CopyData. */
export function walPushPrefix(target: FuzzTarget, timeline: TimelineChoice = 'present'): Buffer {
  return Buffer.concat([validStartup(target, timeline), encodeQuery('START_WAL_PUSH')]);
}

/** The greeting the timeline's own proposer would send: accepted, and it changes nothing. */
export function correctGreeting(target: FuzzTarget): Buffer {
  return encodeCopyData(greeting(target));
}

/** A greeting for the target's timeline, with `changes` applied. */
export function greeting(target: FuzzTarget, changes: Partial<ProposerGreeting> = {}): Buffer {
  return encodeProposerMessage({
    tag: 'greeting',
    protocolVersion: PROPOSER_PROTOCOL_VERSION,
    pgVersion: target.pgVersion,
    proposerId: target.proposerId,
    systemId: target.systemId,
    timelineId: target.timelineId,
    tenantId: target.tenantId,
    pgTimeline: 1,
    walSegSize: target.segmentSizeBytes,
    ...changes,
  });
}

export type FrameVerdict = 'bad-length' | 'incomplete' | 'complete';

/** How the server frames `bytes` sent as the first startup-phase packet. */
export function startupVerdict(bytes: Buffer): FrameVerdict {
  if (bytes.length < 4) return 'incomplete';
  const length = bytes.readInt32BE(0);
  if (length < 8 || length > SERVER_MAX_STARTUP_BYTES) return 'bad-length';
  return bytes.length < length ? 'incomplete' : 'complete';
}

/** How the server frames `bytes` sent as the first typed message after the startup. */
export function messageVerdict(bytes: Buffer): FrameVerdict {
  if (bytes.length < 5) return 'incomplete';
  const length = bytes.readInt32BE(1);
  if (length < 4 || length > SERVER_MAX_MESSAGE_BYTES) return 'bad-length';
  return bytes.length < 1 + length ? 'incomplete' : 'complete';
}

/** True for the codes the server treats specially in the startup phase. */
export function isKnownStartupCode(code: number): boolean {
  return (Object.values(STARTUP_CODES) as number[]).includes(code);
}
