// Fuzz cases for the framing of proposer messages in START_WAL_PUSH: unknown tags, tags with
// non-zero high bytes, messages cut short, trailing bytes and random payloads. Each breaks the
// decoding of the message, so the server must answer FATAL 08P01 before acting on anything.
import type { CaseGenerator } from './wire-fuzz-frames.js';
import {
  PROPOSER_TAG_LETTERS as LETTERS,
  PROTOCOL_VIOLATION,
  pushCase,
  someMessage,
  tagOf,
  u64s,
} from './wal-push-fuzz-messages.js';

const TAG_BYTES = 8;

const unknownTag: CaseGenerator = (random, target) => {
  let letter = random.int(0, 255);
  if (LETTERS.includes(String.fromCharCode(letter))) letter = 0x7a;
  const payload = Buffer.concat([u64s(BigInt(letter)), random.bytes(random.int(0, 128))]);
  return pushCase(
    target,
    `tag 0x${letter.toString(16)}`,
    [payload],
    { greeted: random.chance(0.5) },
    PROTOCOL_VIOLATION,
  );
};

const tagHighBytes: CaseGenerator = (random, target) => {
  const letter = random.pick(LETTERS);
  const payload = someMessage(random, target, letter);
  const high = random.int(1, 7);
  payload.writeUInt8(random.int(1, 255), high);
  const label = `'${letter}' with byte ${high} of the tag set`;
  return pushCase(target, label, [payload], { greeted: random.chance(0.5) }, PROTOCOL_VIOLATION);
};

const truncatedMessage: CaseGenerator = (random, target) => {
  const letter = random.pick(LETTERS);
  const payload = someMessage(random, target, letter);
  let cut = random.int(0, payload.length - 1);
  // 16 bytes is the short form of a VoteRequest (tag and term): a complete message.
  if (letter === 'v' && cut === 16) cut = 15;
  const label = `'${letter}' cut to ${cut} of ${payload.length} bytes`;
  return pushCase(
    target,
    label,
    [payload.subarray(0, cut)],
    { greeted: random.chance(0.5) },
    PROTOCOL_VIOLATION,
  );
};

const trailingBytes: CaseGenerator = (random, target) => {
  const letter = random.pick(LETTERS);
  const extra = random.bytes(random.int(1, 64));
  const payload = Buffer.concat([someMessage(random, target, letter), extra]);
  const label = `'${letter}' with ${extra.length} trailing bytes`;
  return pushCase(target, label, [payload], { greeted: random.chance(0.5) }, PROTOCOL_VIOLATION);
};

const randomPayload: CaseGenerator = (random, target) => {
  const payload = random.bytes(random.int(0, 300));
  const tagged = payload.length >= TAG_BYTES && random.chance(0.5);
  if (tagged) tagOf(random.pick(LETTERS)).copy(payload);
  const label = `${payload.length} random bytes${tagged ? ` tagged '${payload.toString('latin1', 0, 1)}'` : ''}`;
  // Only before any greeting: after one, random bytes could form a legitimate vote.
  return pushCase(target, label, [payload], { greeted: false }, PROTOCOL_VIOLATION);
};

export const WAL_PUSH_FRAME_CATEGORIES: Readonly<Record<string, CaseGenerator>> = {
  'push: unknown tag': unknownTag,
  'push: tag with non-zero high bytes': tagHighBytes,
  'push: truncated message': truncatedMessage,
  'push: trailing bytes': trailingBytes,
  'push: random payload': randomPayload,
};
