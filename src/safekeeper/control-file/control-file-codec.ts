// The control file format (`<tenant>/<timeline>/safekeeper.control`):
//
//   u32 LE magic 0xCAFECEEF | u32 LE format version | body | u32 LE CRC-32C of all prior bytes
//
// Body of version 5 (current), bincode-style: little-endian fixed-width integers, no padding,
// strings and sequences prefixed by a u64 LE length:
//   tenant_id, timeline_id          string (32 lower-case hex chars each)
//   term                            u64
//   term_history                    u64 count, then (term u64, lsn u64) per entry
//   pg_version u32, system_id u64, wal_seg_size u32
//   proposer_uuid                   string (32 hex chars)
//   timeline_start_lsn, local_start_lsn, commit_lsn, backup_lsn, peer_horizon_lsn,
//   remote_consistent_lsn           u64 each
//   peers                           u64 count, then (node_id, backup_lsn, term, flush_lsn,
//                                   commit_lsn) u64 each per entry
// A fresh state is 220 bytes; each term-history entry adds 16. Version 4 (2022-04) had no start
// LSNs, called backup_lsn s3_wal_lsn, and is upgraded as neon's upgrade does: backup, start and
// remote_consistent LSNs at 0 and no peers. Decoding checks, in order: length, CRC, magic, version; every failure is 'integrity'.
import { AppError } from '../../common/errors.js';
import type { TenantId, TimelineId } from '../../common/hex-id.js';
import { crc32c } from '../../postgres/crc32c.js';
import { BinaryReader } from '../../common/binary-reader.js';
import { BinaryWriter } from '../../common/binary-writer.js';
import type { PeerInfo, SafekeeperState } from './safekeeper-state.js';
import type { TermSwitch } from '../../protocol/term-history.js';

const CONTROL_FILE_MAGIC = 0xcafeceef;
export const CONTROL_FILE_VERSION = 5;
const ENVELOPE_BYTES = 12;
const TERM_HISTORY_MAX = 100_000;
const PEERS_MAX = 1000;
const HEX_ID = /^[0-9a-f]{32}$/;
const PROPOSER_UUID = /^[0-9a-fA-F]{32}$/;

function writeCommonHead(writer: BinaryWriter, state: SafekeeperState): void {
  writer.string(state.tenantId).string(state.timelineId).u64(state.acceptorState.term);
  writer.u64(BigInt(state.acceptorState.termHistory.length));
  for (const entry of state.acceptorState.termHistory) writer.u64(entry.term).u64(entry.lsn);
  writer.u32(state.server.pgVersion).u64(state.server.systemId).u32(state.server.walSegSize);
  writer.string(state.proposerUuid);
}

export function encodeControlFile(state: SafekeeperState): Buffer {
  const writer = new BinaryWriter().u32(CONTROL_FILE_MAGIC).u32(CONTROL_FILE_VERSION);
  writeCommonHead(writer, state);
  writer.u64(state.timelineStartLsn).u64(state.localStartLsn).u64(state.commitLsn);
  writer.u64(state.backupLsn).u64(state.peerHorizonLsn).u64(state.remoteConsistentLsn);
  writer.u64(BigInt(state.peers.length));
  for (const peer of state.peers) {
    writer.u64(peer.nodeId).u64(peer.backupLsn).u64(peer.term).u64(peer.flushLsn);
    writer.u64(peer.commitLsn);
  }
  return appendChecksum(writer.toBuffer());
}

function appendChecksum(body: Buffer): Buffer {
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(crc32c(body));
  return Buffer.concat([body, trailer]);
}

type CommonHead = Pick<
  SafekeeperState,
  'tenantId' | 'timelineId' | 'acceptorState' | 'server' | 'proposerUuid'
>;

function readCommonHead(reader: BinaryReader): CommonHead {
  const tenantId = reader.string('tenant_id', 32, HEX_ID) as TenantId;
  const timelineId = reader.string('timeline_id', 32, HEX_ID) as TimelineId;
  const term = reader.u64('term');
  const historyLength = reader.count('term_history', TERM_HISTORY_MAX);
  const termHistory: TermSwitch[] = [];
  for (let i = 0; i < historyLength; i++)
    termHistory.push({
      term: reader.u64('term_history.term'),
      lsn: reader.u64('term_history.lsn'),
    });
  const pgVersion = reader.u32('pg_version');
  const systemId = reader.u64('system_id');
  const walSegSize = reader.u32('wal_seg_size');
  const proposerUuid = reader.string('proposer_uuid', 32, PROPOSER_UUID).toLowerCase();
  return {
    tenantId,
    timelineId,
    acceptorState: { term, termHistory },
    server: { pgVersion, systemId, walSegSize },
    proposerUuid,
  };
}

function readPeers(reader: BinaryReader): PeerInfo[] {
  const count = reader.count('peers', PEERS_MAX);
  const peers: PeerInfo[] = [];
  for (let i = 0; i < count; i++) {
    peers.push({
      nodeId: reader.u64('peer.node_id'),
      backupLsn: reader.u64('peer.backup_lsn'),
      term: reader.u64('peer.term'),
      flushLsn: reader.u64('peer.flush_lsn'),
      commitLsn: reader.u64('peer.commit_lsn'),
    });
  }
  return peers;
}

function decodeVersion5(reader: BinaryReader): SafekeeperState {
  const head = readCommonHead(reader);
  return {
    ...head,
    timelineStartLsn: reader.u64('timeline_start_lsn'),
    localStartLsn: reader.u64('local_start_lsn'),
    commitLsn: reader.u64('commit_lsn'),
    backupLsn: reader.u64('backup_lsn'),
    peerHorizonLsn: reader.u64('peer_horizon_lsn'),
    remoteConsistentLsn: reader.u64('remote_consistent_lsn'),
    peers: readPeers(reader),
  };
}

/**
 * Version 4: commit, s3_wal, peer_horizon, remote_consistent LSNs, then peers (dropped). As in
 * neon's upgrade, remote_consistent_lsn starts again at 0: the pageserver reports it anew.
 */
function decodeVersion4(reader: BinaryReader): SafekeeperState {
  const head = readCommonHead(reader);
  const commitLsn = reader.u64('commit_lsn');
  reader.u64('s3_wal_lsn');
  const peerHorizonLsn = reader.u64('peer_horizon_lsn');
  reader.u64('remote_consistent_lsn');
  readPeers(reader);
  return {
    ...head,
    timelineStartLsn: 0n,
    localStartLsn: 0n,
    commitLsn,
    backupLsn: 0n,
    peerHorizonLsn,
    remoteConsistentLsn: 0n,
    peers: [],
  };
}

export interface DecodedControlFile {
  readonly state: SafekeeperState;
  /** The version found on disk; differs from CONTROL_FILE_VERSION after an upgrade. */
  readonly version: number;
}

export function decodeControlFile(
  bytes: Buffer,
  what = 'safekeeper control file',
): DecodedControlFile {
  if (bytes.length < ENVELOPE_BYTES) {
    throw new AppError('integrity', `${what}: truncated (${bytes.length} bytes)`);
  }
  const expectedCrc = bytes.readUInt32LE(bytes.length - 4);
  const actualCrc = crc32c(bytes.subarray(0, bytes.length - 4));
  if (expectedCrc !== actualCrc) {
    throw new AppError(
      'integrity',
      `${what}: safekeeper control file checksum mismatch: stored ${hex32(expectedCrc)}, computed ${hex32(actualCrc)}`,
    );
  }
  const magic = bytes.readUInt32LE(0);
  if (magic !== CONTROL_FILE_MAGIC) {
    throw new AppError('integrity', `${what}: bad control file magic ${hex32(magic)}`);
  }
  const version = bytes.readUInt32LE(4);
  const reader = new BinaryReader(bytes.subarray(8, bytes.length - 4), what);
  let state: SafekeeperState;
  if (version === CONTROL_FILE_VERSION) state = decodeVersion5(reader);
  else if (version === 4) state = decodeVersion4(reader);
  else {
    throw new AppError(
      'integrity',
      `${what}: unsupported safekeeper control file version ${version}`,
    );
  }
  reader.expectEnd();
  return { state, version };
}

function hex32(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(8, '0')}`;
}
