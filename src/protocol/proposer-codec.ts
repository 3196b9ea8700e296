// The wire layout of walproposer/safekeeper messages (neon-reference.md §7.2); each message is the
// payload of one CopyData frame. Little-endian unless stated; ids are 16 raw bytes; a term
// history is a u32 count followed by (term u64, lsn u64) pairs.
//
//   every message      u64 tag: the ASCII code of a letter, the high 7 bytes zero
//   proposer -> acceptor
//   'g' greeting       protocol_version u32, pg_version u32, proposer_id, system_id u64,
//                      timeline_id, tenant_id, tli u32, wal_seg_size u32         (72 bytes)
//   'v' vote request   term u64 [, proposer_id: written as zeros, ignored]  (8 or 24 bytes)
//   'e' elected        term u64, start_streaming_at u64, term history, timeline_start_lsn u64
//   'a' append         term, epoch_start_lsn, begin_lsn, end_lsn, commit_lsn, truncate_lsn
//                      u64 each, proposer_uuid (64 bytes); then end_lsn - begin_lsn WAL bytes
//                      (at most MAX_APPEND_WAL_BYTES)
//   acceptor -> proposer
//   'g' greeting       term u64, node_id u64
//   'v' vote response  term u64, vote_given u64 (0 or 1), flush_lsn u64, truncate_lsn u64,
//                      term history, timeline_start_lsn u64
//   'a' append resp.   term u64, flush_lsn u64, commit_lsn u64, hot-standby feedback (ts i64,
//                      xmin u64, catalog_xmin u64), pageserver feedback (big-endian, see
//                      pageserver-feedback-codec.ts)
//
// Decoding is strict: any malformation, including trailing bytes, is AppError('usage') naming
// the message; it never allocates by an untrusted count. Encoders assert that values fit.
import { assert } from '../common/assert.js';
import type { TenantId, TimelineId } from '../common/hex-id.js';
import { formatLsn } from '../postgres/lsn.js';
import { type BinaryReader } from '../common/binary-reader.js';
import { BinaryWriter } from '../common/binary-writer.js';
import {
  decodeBody,
  failUnknownTag,
  ID_BYTES,
  readHexId,
  readTagLetter,
  readTermHistory,
  tagValue,
  writeHexId,
  writeTermHistory,
} from './message-fields.js';
import { readPageserverFeedback, writePageserverFeedback } from './pageserver-feedback-codec.js';
import {
  MAX_APPEND_WAL_BYTES,
  type AcceptorMessage,
  type AppendRequest,
  type AppendRequestHeader,
  type AppendResponse,
  type ProposerElected,
  type ProposerGreeting,
  type ProposerMessage,
  type VoteRequest,
  type VoteResponse,
} from './proposer-messages.js';

const ACCEPTOR_MESSAGE_INITIAL_BYTES = 256;
/** The u64 tag and the append header: six u64 fields and the proposer's 16-byte id. */
const APPEND_REQUEST_HEADER_BYTES = 8 + 6 * 8 + ID_BYTES;
const VOTE_REQUEST_BODY_BYTES: readonly number[] = [8, 8 + ID_BYTES];

const PROPOSER_TAGS: Record<ProposerMessage['tag'], string> = {
  greeting: 'g',
  vote: 'v',
  elected: 'e',
  append: 'a',
};
const ACCEPTOR_TAGS: Record<AcceptorMessage['tag'], string> = {
  greeting: 'g',
  vote: 'v',
  append: 'a',
};

export function encodeProposerMessage(message: ProposerMessage): Buffer {
  const writer = new BinaryWriter().u64(tagValue(PROPOSER_TAGS[message.tag]), 'tag');
  switch (message.tag) {
    case 'greeting':
      writeProposerGreeting(writer, message);
      break;
    case 'vote':
      writer.u64(message.term, 'VoteRequest term').bytes(Buffer.alloc(ID_BYTES));
      break;
    case 'elected':
      writeProposerElected(writer, message);
      break;
    case 'append':
      writeAppendRequest(writer, message);
      break;
  }
  return writer.toBuffer();
}

/** Decodes one proposer message. An AppendRequest's walBytes is a view of `payload` (no copy). */
export function decodeProposerMessage(payload: Uint8Array): ProposerMessage {
  const letter = readTagLetter(payload, 'proposer');
  switch (letter) {
    case PROPOSER_TAGS.greeting:
      return decodeBody(payload, 'ProposerGreeting', readProposerGreeting);
    case PROPOSER_TAGS.vote:
      return decodeBody(payload, 'VoteRequest', readVoteRequest);
    case PROPOSER_TAGS.elected:
      return decodeBody(payload, 'ProposerElected', readProposerElected);
    case PROPOSER_TAGS.append:
      return decodeBody(payload, 'AppendRequest', readAppendRequest);
    default:
      return failUnknownTag(payload, 'proposer', letter);
  }
}

/**
 * Encodes one acceptor message after `headroomBytes` unwritten bytes, which the transport fills
 * with its frame header (so that a reply is one buffer, not a payload copied into a frame).
 */
export function encodeAcceptorMessage(message: AcceptorMessage, headroomBytes = 0): Buffer {
  // An AppendResponse, the reply to every batch, is 188 bytes: no growth on the way.
  const writer = new BinaryWriter(ACCEPTOR_MESSAGE_INITIAL_BYTES)
    .headroom(headroomBytes)
    .u64(tagValue(ACCEPTOR_TAGS[message.tag]), 'tag');
  switch (message.tag) {
    case 'greeting':
      writer.u64(message.term, 'AcceptorGreeting term').u64(message.nodeId, 'node_id');
      break;
    case 'vote':
      writeVoteResponse(writer, message);
      break;
    case 'append':
      writeAppendResponse(writer, message);
      break;
  }
  return writer.toBuffer();
}

export function decodeAcceptorMessage(payload: Uint8Array): AcceptorMessage {
  const letter = readTagLetter(payload, 'acceptor');
  switch (letter) {
    case ACCEPTOR_TAGS.greeting:
      return decodeBody(payload, 'AcceptorGreeting', (reader) => ({
        tag: 'greeting',
        term: reader.u64('term'),
        nodeId: reader.u64('node_id'),
      }));
    case ACCEPTOR_TAGS.vote:
      return decodeBody(payload, 'VoteResponse', readVoteResponse);
    case ACCEPTOR_TAGS.append:
      return decodeBody(payload, 'AppendResponse', readAppendResponse);
    default:
      return failUnknownTag(payload, 'acceptor', letter);
  }
}

// --- proposer messages

function writeProposerGreeting(writer: BinaryWriter, message: ProposerGreeting): void {
  writer.u32(message.protocolVersion, 'protocol_version').u32(message.pgVersion, 'pg_version');
  writeHexId(writer, message.proposerId, 'proposer_id');
  writer.u64(message.systemId, 'system_id');
  writeHexId(writer, message.timelineId, 'timeline_id');
  writeHexId(writer, message.tenantId, 'tenant_id');
  writer.u32(message.pgTimeline, 'tli').u32(message.walSegSize, 'wal_seg_size');
}

function readProposerGreeting(reader: BinaryReader): ProposerGreeting {
  return {
    tag: 'greeting',
    protocolVersion: reader.u32('protocol_version'),
    pgVersion: reader.u32('pg_version'),
    proposerId: readHexId(reader, 'proposer_id'),
    systemId: reader.u64('system_id'),
    timelineId: readHexId(reader, 'timeline_id') as TimelineId,
    tenantId: readHexId(reader, 'tenant_id') as TenantId,
    pgTimeline: reader.u32('tli'),
    walSegSize: reader.u32('wal_seg_size'),
  };
}

/** The C struct appends the proposer id; older senders stop after the term. */
function readVoteRequest(reader: BinaryReader): VoteRequest {
  const bodyBytes = reader.remainingBytes;
  if (!VOTE_REQUEST_BODY_BYTES.includes(bodyBytes)) {
    reader.fail(`body is ${bodyBytes} bytes, expected ${VOTE_REQUEST_BODY_BYTES.join(' or ')}`);
  }
  const term = reader.u64('term');
  reader.skip(reader.remainingBytes, 'proposer_id');
  return { tag: 'vote', term };
}

function writeProposerElected(writer: BinaryWriter, message: ProposerElected): void {
  writer.u64(message.term, 'term').u64(message.startStreamingAt, 'start_streaming_at');
  writeTermHistory(writer, message.termHistory);
  writer.u64(message.timelineStartLsn, 'timeline_start_lsn');
}

function readProposerElected(reader: BinaryReader): ProposerElected {
  return {
    tag: 'elected',
    term: reader.u64('term'),
    startStreamingAt: reader.u64('start_streaming_at'),
    termHistory: readTermHistory(reader),
    timelineStartLsn: reader.u64('timeline_start_lsn'),
  };
}

/** The tag and header of an AppendRequest carrying `walLength` WAL bytes (which follow it). */
export function encodeAppendRequestHead(header: AppendRequestHeader, walLength: number): Buffer {
  const writer = new BinaryWriter(APPEND_REQUEST_HEADER_BYTES).u64(
    tagValue(PROPOSER_TAGS.append),
    'tag',
  );
  writeAppendRequestHeader(writer, header, walLength);
  return writer.toBuffer();
}

function writeAppendRequest(writer: BinaryWriter, message: AppendRequest): void {
  writeAppendRequestHeader(writer, message.header, message.walBytes.length);
  writer.bytes(message.walBytes);
}

function writeAppendRequestHeader(
  writer: BinaryWriter,
  header: AppendRequestHeader,
  walLength: number,
): void {
  assert(header.endLsn >= header.beginLsn, 'AppendRequest end_lsn is before begin_lsn');
  assert(
    BigInt(walLength) === header.endLsn - header.beginLsn,
    () =>
      `AppendRequest carries ${walLength} WAL bytes but end_lsn - begin_lsn is ${header.endLsn - header.beginLsn}`,
  );
  assert(walLength <= MAX_APPEND_WAL_BYTES, 'AppendRequest carries too many WAL bytes');
  writer.u64(header.term, 'term').u64(header.epochStartLsn, 'epoch_start_lsn');
  writer.u64(header.beginLsn, 'begin_lsn').u64(header.endLsn, 'end_lsn');
  writer.u64(header.commitLsn, 'commit_lsn').u64(header.truncateLsn, 'truncate_lsn');
  writeHexId(writer, header.proposerId, 'proposer_uuid');
}

function readAppendRequest(reader: BinaryReader): AppendRequest {
  const header = {
    term: reader.u64('term'),
    epochStartLsn: reader.u64('epoch_start_lsn'),
    beginLsn: reader.u64('begin_lsn'),
    endLsn: reader.u64('end_lsn'),
    commitLsn: reader.u64('commit_lsn'),
    truncateLsn: reader.u64('truncate_lsn'),
    proposerId: readHexId(reader, 'proposer_uuid'),
  };
  if (header.endLsn < header.beginLsn) {
    reader.fail(
      `end_lsn ${formatLsn(header.endLsn)} is before begin_lsn ${formatLsn(header.beginLsn)}`,
    );
  }
  const walLengthBytes = reader.remainingBytes;
  if (walLengthBytes > MAX_APPEND_WAL_BYTES) {
    reader.fail(`${walLengthBytes} WAL bytes exceed the limit of ${MAX_APPEND_WAL_BYTES}`);
  }
  const expectedBytes = header.endLsn - header.beginLsn;
  if (BigInt(walLengthBytes) !== expectedBytes) {
    reader.fail(`${walLengthBytes} WAL bytes but end_lsn - begin_lsn is ${expectedBytes}`);
  }
  return { tag: 'append', header, walBytes: reader.bytesView(walLengthBytes, 'WAL') };
}

// --- acceptor messages

function writeVoteResponse(writer: BinaryWriter, message: VoteResponse): void {
  writer.u64(message.term, 'term').u64(message.voteGiven ? 1n : 0n, 'vote_given');
  writer.u64(message.flushLsn, 'flush_lsn').u64(message.truncateLsn, 'truncate_lsn');
  writeTermHistory(writer, message.termHistory);
  writer.u64(message.timelineStartLsn, 'timeline_start_lsn');
}

function readVoteResponse(reader: BinaryReader): VoteResponse {
  const term = reader.u64('term');
  const voteGiven = reader.u64('vote_given');
  if (voteGiven > 1n) reader.fail(`vote_given is ${voteGiven}, expected 0 or 1`);
  return {
    tag: 'vote',
    term,
    voteGiven: voteGiven === 1n,
    flushLsn: reader.u64('flush_lsn'),
    truncateLsn: reader.u64('truncate_lsn'),
    termHistory: readTermHistory(reader),
    timelineStartLsn: reader.u64('timeline_start_lsn'),
  };
}

function writeAppendResponse(writer: BinaryWriter, message: AppendResponse): void {
  const { hotStandbyFeedback } = message;
  writer.u64(message.term, 'term').u64(message.flushLsn, 'flush_lsn');
  writer.u64(message.commitLsn, 'commit_lsn');
  writer.i64(hotStandbyFeedback.timestampMicros, 'hot-standby feedback ts');
  writer.u64(hotStandbyFeedback.xmin, 'hot-standby feedback xmin');
  writer.u64(hotStandbyFeedback.catalogXmin, 'hot-standby feedback catalog_xmin');
  writePageserverFeedback(writer, message.pageserverFeedback);
}

function readAppendResponse(reader: BinaryReader): AppendResponse {
  return {
    tag: 'append',
    term: reader.u64('term'),
    flushLsn: reader.u64('flush_lsn'),
    commitLsn: reader.u64('commit_lsn'),
    hotStandbyFeedback: {
      timestampMicros: reader.i64('hot-standby feedback ts'),
      xmin: reader.u64('hot-standby feedback xmin'),
      catalogXmin: reader.u64('hot-standby feedback catalog_xmin'),
    },
    pageserverFeedback: readPageserverFeedback(reader),
  };
}
