// What a safekeeper tells its peers about one timeline (neon's SkTimelineInfo): the JSON value
// of its broker key `<prefix>/<tenant>/<timeline>/safekeeper/timeline_info/<sk_id>`, and the body
// of the test-only POST /v1/record_safekeeper_info route. Every field is optional (absent means
// "not told"); LSNs are "X/X" strings, last_log_term a number. Parsing never throws on content a
// peer sent: it returns the reason instead, so the caller can log and skip.
import { formatLsn, parseLsn, type Lsn } from '../postgres/lsn.js';

export interface SafekeeperTimelineInfo {
  /** The sender's epoch: the term of its last term-history entry at or below its flush_lsn. */
  readonly lastLogTerm?: bigint;
  readonly flushLsn?: Lsn;
  readonly commitLsn?: Lsn;
  readonly backupLsn?: Lsn;
  readonly remoteConsistentLsn?: Lsn;
  readonly peerHorizonLsn?: Lsn;
  /** host:port of the sender's WAL service. */
  readonly safekeeperConnectionString?: string;
  /** The sender's first WAL position on its own disk (ours; neon's 2023 payload has it too). */
  readonly localStartLsn?: Lsn;
}

const LSN_FIELDS = [
  ['flush_lsn', 'flushLsn'],
  ['commit_lsn', 'commitLsn'],
  ['backup_lsn', 'backupLsn'],
  ['remote_consistent_lsn', 'remoteConsistentLsn'],
  ['peer_horizon_lsn', 'peerHorizonLsn'],
  ['local_start_lsn', 'localStartLsn'],
] as const;

const KNOWN_FIELDS = new Set<string>([
  ...LSN_FIELDS.map(([json]) => json),
  'last_log_term',
  'safekeeper_connection_string',
]);

export type ParsedTimelineInfo =
  | { readonly ok: true; readonly info: SafekeeperTimelineInfo }
  | { readonly ok: false; readonly reason: string };

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** Decodes the JSON document (already parsed); unknown fields are a reason to refuse it. */
export function parseTimelineInfo(document: unknown): ParsedTimelineInfo {
  if (typeof document !== 'object' || document === null || Array.isArray(document))
    return { ok: false, reason: 'expected a JSON object' };
  const fields = document as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((name) => !KNOWN_FIELDS.has(name));
  if (unknown.length > 0) return { ok: false, reason: `unknown field ${unknown.join(', ')}` };
  const info: Record<string, unknown> = {};
  for (const [json, name] of LSN_FIELDS) {
    const value = fields[json];
    if (value === undefined) continue;
    if (typeof value !== 'string') return { ok: false, reason: `${json} must be an "X/X" string` };
    try {
      info[name] = parseLsn(value, json);
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }
  const term = fields.last_log_term;
  if (term !== undefined) {
    if (typeof term !== 'number' || !Number.isSafeInteger(term) || term < 0)
      return { ok: false, reason: 'last_log_term must be a non-negative integer' };
    if (BigInt(term) > U64_MAX) return { ok: false, reason: 'last_log_term is out of range' };
    info.lastLogTerm = BigInt(term);
  }
  const address = fields.safekeeper_connection_string;
  if (address !== undefined) {
    if (typeof address !== 'string' || address.length > 300)
      return { ok: false, reason: 'safekeeper_connection_string must be a short string' };
    info.safekeeperConnectionString = address;
  }
  return { ok: true, info: info };
}

/** The JSON document (fields in neon's order; absent ones left out). */
export function encodeTimelineInfo(info: SafekeeperTimelineInfo): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  if (info.lastLogTerm !== undefined) document.last_log_term = Number(info.lastLogTerm);
  for (const [json, name] of LSN_FIELDS) {
    const value = info[name];
    if (value !== undefined) document[json] = formatLsn(value);
  }
  if (info.safekeeperConnectionString !== undefined)
    document.safekeeper_connection_string = info.safekeeperConnectionString;
  return document;
}
