// The CopyData payload a pageserver sends on a replication stream to report its progress
// (neon's "z" message): the tag byte 'z', 8 bytes the safekeeper skips (neon's sender puts a
// length there; we write the block's length as a big-endian u64 and never read it back), then
// the pageserver feedback block (pageserver-feedback-codec.ts). Decoding is strict: a short or
// malformed block, or bytes after it, is AppError('usage'). Shared by the safekeeper (reads) and
// the pageserver (writes).
import { BinaryReader } from '../common/binary-reader.js';
import { BinaryWriter } from '../common/binary-writer.js';
import { readPageserverFeedback, writePageserverFeedback } from './pageserver-feedback-codec.js';
import type { PageserverFeedback } from './proposer-messages.js';

export const NEON_FEEDBACK_TAG = 'z';
const SKIPPED_BYTES = 8;
const WHAT = 'malformed pageserver feedback message';

export function encodeNeonFeedbackMessage(feedback: PageserverFeedback): Buffer {
  const block = new BinaryWriter(128);
  writePageserverFeedback(block, feedback);
  const blockBytes = block.toBuffer();
  return new BinaryWriter(1 + SKIPPED_BYTES + blockBytes.length)
    .u8(NEON_FEEDBACK_TAG.charCodeAt(0), 'tag')
    .u64BE(BigInt(blockBytes.length), 'length')
    .bytes(blockBytes)
    .toBuffer();
}

export function decodeNeonFeedbackMessage(payload: Uint8Array): PageserverFeedback {
  const reader = new BinaryReader(payload, WHAT, 'usage');
  const tag = reader.u8('tag');
  if (tag !== NEON_FEEDBACK_TAG.charCodeAt(0))
    reader.fail(`tag is 0x${tag.toString(16).padStart(2, '0')}, expected '${NEON_FEEDBACK_TAG}'`);
  reader.skip(SKIPPED_BYTES, 'length');
  const feedback = readPageserverFeedback(reader);
  reader.expectEnd('the feedback block');
  return feedback;
}
