// The pageserver feedback block ("ZenithFeedback", neon-reference.md §7.2) that ends every
// AppendResponse. Unlike the rest of the protocol it is BIG-endian and self-describing:
//
//   u8 key count | per key: NUL-terminated ASCII key | i32 value length | value
//
// We write the five known keys in a fixed order, each with an 8-byte value. Reading accepts the
// keys in any order, skips unknown keys by their length and leaves missing known keys at 0; it
// rejects a known key twice or with a length other than 8, a negative length, a length running
// past the end and a key without its NUL. This module knows nothing of the message around it.
import type { BinaryReader } from '../common/binary-reader.js';
import type { BinaryWriter } from '../common/binary-writer.js';
import type { PageserverFeedback } from './proposer-messages.js';

const FEEDBACK_VALUE_BYTES = 8;
/** Longest key shown in an error message (keys come from the peer). */
const SHOWN_KEY_CHARS_MAX = 64;

interface FeedbackKey {
  readonly key: string;
  readonly field: keyof PageserverFeedback;
  readonly signed: boolean;
}

/** The known keys, in the order we write them. */
const FEEDBACK_KEYS: readonly FeedbackKey[] = [
  { key: 'current_timeline_size', field: 'currentTimelineSizeBytes', signed: false },
  { key: 'ps_writelsn', field: 'psWriteLsn', signed: false },
  { key: 'ps_flushlsn', field: 'psFlushLsn', signed: false },
  { key: 'ps_applylsn', field: 'psApplyLsn', signed: false },
  { key: 'ps_replytime', field: 'psReplyTimeMicros', signed: true },
];

/** Every reply carries this block: keys are written and matched as bytes, not strings. */
const KEY_BYTES: readonly Buffer[] = FEEDBACK_KEYS.map(({ key }) => Buffer.from(key, 'latin1'));

/** What precedes each value when we write it: the key, its NUL and the value length. */
const KEY_PREFIXES: readonly Buffer[] = FEEDBACK_KEYS.map(({ key }) => {
  const prefix = Buffer.alloc(key.length + 1 + 4);
  prefix.write(key, 'latin1');
  prefix.writeInt32BE(FEEDBACK_VALUE_BYTES, key.length + 1);
  return prefix;
});

export function writePageserverFeedback(writer: BinaryWriter, feedback: PageserverFeedback): void {
  writer.u8(FEEDBACK_KEYS.length, 'pageserver feedback key count');
  FEEDBACK_KEYS.forEach(({ key, field, signed }, index) => {
    writer.bytes(KEY_PREFIXES[index] as Buffer);
    if (signed) writer.i64BE(feedback[field], key);
    else writer.u64BE(feedback[field], key);
  });
}

export function readPageserverFeedback(reader: BinaryReader): PageserverFeedback {
  const feedback: Record<keyof PageserverFeedback, bigint> = {
    currentTimelineSizeBytes: 0n,
    psWriteLsn: 0n,
    psFlushLsn: 0n,
    psApplyLsn: 0n,
    psReplyTimeMicros: 0n,
  };
  const seen = new Set<keyof PageserverFeedback>();
  const keyCount = reader.u8('pageserver feedback key count');
  for (let i = 0; i < keyCount; i++) {
    const keyBytes = reader.cStringBytes('pageserver feedback key');
    // The key's description (a string) is built only for an error.
    const shown = (): string =>
      `pageserver feedback key ${JSON.stringify(keyBytes.toString('latin1').slice(0, SHOWN_KEY_CHARS_MAX))}`;
    const lengthBytes = reader.i32BE(() => `${shown()} length`);
    if (lengthBytes < 0) reader.fail(`${shown()} has negative length ${lengthBytes}`);
    if (lengthBytes > reader.remainingBytes) {
      reader.fail(
        `${shown()} length ${lengthBytes} runs past the end (${reader.remainingBytes} bytes left)`,
      );
    }
    const known = FEEDBACK_KEYS.find((_, index) => (KEY_BYTES[index] as Buffer).equals(keyBytes));
    if (known === undefined) {
      reader.skip(lengthBytes, shown);
      continue;
    }
    if (lengthBytes !== FEEDBACK_VALUE_BYTES) {
      reader.fail(`${shown()} has length ${lengthBytes}, expected ${FEEDBACK_VALUE_BYTES}`);
    }
    if (seen.has(known.field)) reader.fail(`${shown()} appears twice`);
    seen.add(known.field);
    feedback[known.field] = known.signed ? reader.i64BE(shown) : reader.u64BE(shown);
  }
  return feedback;
}
