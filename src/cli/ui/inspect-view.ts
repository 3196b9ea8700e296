// `sk timeline inspect` as text: per safekeeper its LSNs, then its disk and trimming, the
// pageserver, S3 and offload in a line each, and an LSN ruler: per safekeeper, the pageserver and
// S3, which segments exist (Unicode blocks, or ASCII without a UTF-8 locale), with markers for
// commit (C), backup (B), remote consistent (R) and the horizon (H) under each safekeeper. It
// fits the terminal width; a down or paused safekeeper keeps its row, marked.
import { formatSizeBytes } from '../../common/units.js';
import { parseLsn, type Lsn } from '../../postgres/lsn.js';
import { parseSegmentFileName, segmentFileName } from '../../postgres/segment-name.js';
import type { InspectDocument, InspectedSafekeeper } from '../../cluster/timeline-inspect.js';
import { removableRange } from '../../cluster/wal-trim.js';
import type { TimelineStatus } from '../../protocol/timeline-status.js';
import { failureLabel, type SafekeeperAnswer } from '../../cluster/safekeeper-fanout.js';
import { renderTable, shortId, truncateVisible } from './table.js';
import type { Theme } from './theme.js';

export interface InspectViewOptions {
  readonly widthColumns: number;
  /** Unicode blocks; false: ASCII only. */
  readonly unicode: boolean;
  /**
   * The screen's height (inspect --watch on a terminal): a taller view first drops the control
   * files' `saved` rows, then the blank lines between its parts, then the ruler's legend, so that
   * the ruler stays in sight. Unset: everything.
   */
  readonly heightRows?: number;
}

/** What a view shorter than everything leaves out, in this order. */
const COMPACTIONS = ['saved-rows', 'blank-lines', 'legend'] as const;
type Compaction = (typeof COMPACTIONS)[number];

const GLYPHS = {
  unicode: { full: '█', partial: '▌', none: '·' },
  ascii: { full: '#', partial: '+', none: '.' },
};

/** Whether the locale says UTF-8 (LC_ALL, LC_CTYPE, LANG, in that order). */
export function localeIsUtf8(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = env.LC_ALL ?? env.LC_CTYPE ?? env.LANG ?? '';
  return /utf-?8/i.test(locale);
}

function segno(name: string | null, segmentSizeBytes: number): bigint | undefined {
  return name === null ? undefined : parseSegmentFileName(name, segmentSizeBytes)?.segno;
}

function stateOf(answer: SafekeeperAnswer<unknown>, theme: Theme): string {
  if (answer.state === 'ok') return 'up';
  return theme.error(failureLabel(answer));
}

/**
 * Under this a difference is WAL in flight (a push streams to all at once), not a lagging
 * safekeeper; one in an older term is lagging whatever the difference.
 */
const LAG_NOTICE_BYTES = 1024n * 1024n;

/** A safekeeper whose WAL ends before the most advanced one's, and by how much. */
interface Lagging {
  readonly id: number;
  readonly flushLsn: string;
  readonly behindBytes: bigint;
  readonly leader: { readonly id: number; readonly flushLsn: string };
}

function laggingSafekeepers(document: InspectDocument): Lagging[] {
  const answered = document.safekeepers.flatMap((answer) =>
    answer.result === undefined
      ? []
      : [
          {
            id: Number(answer.id),
            term: answer.result.acceptor_state.term,
            flushLsn: answer.result.flush_lsn,
            flush: parseLsn(answer.result.flush_lsn),
          },
        ],
  );
  const ahead = answered.reduce<(typeof answered)[number] | undefined>(
    (best, sk) => (best === undefined || sk.flush > best.flush ? sk : best),
    undefined,
  );
  if (ahead === undefined) return [];
  return answered
    .filter(
      (sk) =>
        sk.flush < ahead.flush &&
        (sk.term < ahead.term || ahead.flush - sk.flush >= LAG_NOTICE_BYTES),
    )
    .map((sk) => ({
      id: sk.id,
      flushLsn: sk.flushLsn,
      behindBytes: ahead.flush - sk.flush,
      leader: { id: ahead.id, flushLsn: ahead.flushLsn },
    }));
}

/** Per safekeeper its LSNs in memory, and under them what its control file holds. */
function lsnTable(
  document: InspectDocument,
  lagging: readonly Lagging[],
  theme: Theme,
  width: number,
  withSavedRows: boolean,
): string {
  const behind = new Set(lagging.map((sk) => sk.id));
  const rows = document.safekeepers.flatMap((answer) => {
    const status = answer.result;
    if (status === undefined) return [[String(answer.id), stateOf(answer, theme)]];
    const persisted = status.persisted;
    const current = [
      String(answer.id),
      behind.has(Number(answer.id)) ? theme.warn('behind') : 'up',
      `${status.acceptor_state.term}/${status.acceptor_state.epoch}`,
      status.flush_lsn,
      status.commit_lsn,
      status.backup_lsn,
      status.peer_horizon_lsn,
      status.remote_consistent_lsn,
    ];
    if (!withSavedRows) return [current];
    return [
      current,
      [
        '',
        theme.dim('saved'),
        '',
        '',
        theme.dim(persisted.commit_lsn),
        theme.dim(persisted.backup_lsn),
        theme.dim(persisted.peer_horizon_lsn),
        theme.dim(persisted.remote_consistent_lsn),
      ],
    ];
  });
  return renderTable(
    ['SK', 'STATE', 'TERM/EP', 'FLUSH', 'COMMIT', 'BACKUP', 'PEER HZN', 'REMOTE CONS'],
    rows,
    width,
  );
}

function heldBy(status: TimelineStatus): string {
  if (status.horizon.pinned_bytes === 0) return 'nothing';
  switch (status.horizon.limited_by) {
    case 'remote_consistent_lsn':
      return 'pageserver';
    case 'peer_horizon_lsn':
      return 'a peer';
    case 'backup_lsn':
      return 'S3';
  }
}

function diskTable(document: InspectDocument, theme: Theme, width: number): string {
  const rows = document.safekeepers.map((answer) => {
    const status = answer.result;
    if (status === undefined) return [String(answer.id), stateOf(answer, theme)];
    const local = status.local_segments;
    const span =
      local.first === null
        ? 'none'
        : `${shortSegment(local.first)}..${shortSegment(local.last ?? local.first)}`;
    const removable = removableRange(status);
    return [
      String(answer.id),
      `${span} (${local.count}, ${formatSizeBytes(local.bytes)})`,
      removable === null ? '-' : formatSizeBytes(removable.bytes),
      status.horizon.lsn,
      status.horizon.inputs.backup_lsn === null && heldBy(status) === 'S3'
        ? 'not configured'
        : heldBy(status),
      formatSizeBytes(status.horizon.pinned_bytes),
    ];
  });
  return renderTable(
    ['SK', 'LOCAL SEGMENTS', 'TRIMMABLE', 'HORIZON', 'HELD BY', 'PINNED'],
    rows,
    width,
  );
}

/** The broker's etcd connection of one safekeeper. */
function brokerState(status: InspectedSafekeeper, theme: Theme): string {
  const broker = status.node.broker;
  if (broker === null) return 'not configured';
  if (broker.connected) return 'connected';
  // The error itself is in --json and `neon_local logs`: a gRPC message is a line long.
  return broker.last_error === null ? 'connecting' : theme.error('etcd unreachable');
}

/** Its part in the offload: the election, and the uploads to S3. */
function offloadState(status: InspectedSafekeeper, theme: Theme): { role: string; s3: string } {
  const backup = status.wal_backup;
  if (!backup.configured) return { role: 'not configured', s3: '-' };
  const role = backup.leader
    ? 'leader'
    : backup.campaigning
      ? 'campaigning'
      : backup.eligible
        ? 'eligible'
        : `not eligible: ${backup.ineligible_reason ?? 'not checked yet'}`;
  const failure = backup.last_error;
  if (failure !== null)
    return {
      role,
      s3: theme.error(
        `failing (${failure.failures} ${failure.failures === 1 ? 'try' : 'tries'}): ${failure.message}`,
      ),
    };
  if (backup.uploading_segment !== null)
    return { role, s3: `uploading ${shortSegment(backup.uploading_segment)}` };
  if (backup.last_uploaded_segment !== null)
    return { role, s3: `ok, last put ${shortSegment(backup.last_uploaded_segment)}` };
  return { role, s3: backup.leader ? 'nothing put yet' : '-' };
}

/** Per safekeeper: the broker's connection, the offload role and the state of its uploads. */
function connectionTable(document: InspectDocument, theme: Theme, width: number): string {
  const rows = document.safekeepers.map((answer) => {
    const status = answer.result;
    if (status === undefined) return [String(answer.id), stateOf(answer, theme)];
    const offload = offloadState(status, theme);
    return [String(answer.id), brokerState(status, theme), offload.role, offload.s3];
  });
  return renderTable(['SK', 'BROKER', 'OFFLOAD', 'UPLOADS'], rows, width);
}

/** A segment name without its timeline part and leading zeros of the high half: 0/1F. */
function shortSegment(name: string): string {
  const high = name.slice(8, 16).replace(/^0+(?=.)/, '');
  const low = name.slice(16).replace(/^0+(?=.)/, '');
  return `${high}/${low}`;
}

interface RulerRow {
  readonly label: string;
  /** Segment numbers present; `partialSegno` is written to but not complete. */
  readonly present: ReadonlySet<bigint>;
  readonly partialSegno?: bigint;
  readonly markers: readonly { readonly lsn: Lsn; readonly mark: string }[];
  readonly note?: string;
}

function localRow(
  answer: SafekeeperAnswer<InspectedSafekeeper>,
  segmentSizeBytes: number,
): RulerRow {
  const status = answer.result;
  if (status === undefined)
    return { label: `sk${answer.id}`, present: new Set(), markers: [], note: failureLabel(answer) };
  const first = segno(status.local_segments.first, segmentSizeBytes);
  const last = segno(status.local_segments.last, segmentSizeBytes);
  const present = new Set<bigint>();
  if (first !== undefined && last !== undefined) for (let s = first; s <= last; s++) present.add(s);
  const partial = segno(status.local_segments.partial, segmentSizeBytes);
  return {
    label: `sk${answer.id}`,
    present,
    ...(partial === undefined ? {} : { partialSegno: partial }),
    markers: [
      { lsn: parseLsn(status.horizon.lsn), mark: 'H' },
      { lsn: parseLsn(status.remote_consistent_lsn), mark: 'R' },
      { lsn: parseLsn(status.backup_lsn), mark: 'B' },
      { lsn: parseLsn(status.commit_lsn), mark: 'C' },
    ],
  };
}

/** The ruler's row labels (sk1, s3) are padded to this, then a space. */
const RULER_LABEL_WIDTH = 6;

/** How the ruler lays segments lowSegno..highSegno out: cells of whole segments, columns each. */
export interface RulerScale {
  readonly lowSegno: bigint;
  readonly segmentsPerCell: number;
  /** Cells drawn (the last may hold fewer segments). */
  readonly cells: number;
  readonly cellWidth: number;
}

export function rulerScale(lowSegno: bigint, highSegno: bigint, widthColumns: number): RulerScale {
  const available = Math.max(8, Math.min(widthColumns - RULER_LABEL_WIDTH - 1, 200));
  const segments = Number(highSegno - lowSegno + 1n);
  const segmentsPerCell = Math.max(1, Math.ceil(segments / available));
  const cells = Math.ceil(segments / segmentsPerCell);
  return {
    lowSegno,
    segmentsPerCell,
    cells,
    cellWidth: Math.max(1, Math.floor(available / cells)),
  };
}

/**
 * The column (from 0, after the label) of `lsn`: its cell's first column plus its place inside
 * the cell, so that every byte of a segment stays in that segment's columns; undefined below the
 * first segment, the last column past the last one.
 */
export function lsnColumn(
  scale: RulerScale,
  lsn: Lsn,
  segmentSizeBytes: number,
): number | undefined {
  const startLsn = scale.lowSegno * BigInt(segmentSizeBytes);
  if (lsn < startLsn) return undefined;
  const cellBytes = BigInt(segmentSizeBytes) * BigInt(scale.segmentsPerCell);
  const cell = (lsn - startLsn) / cellBytes;
  const lastColumn = scale.cells * scale.cellWidth - 1;
  if (cell >= BigInt(scale.cells)) return lastColumn;
  const inside = (((lsn - startLsn) % cellBytes) * BigInt(scale.cellWidth)) / cellBytes;
  return Number(cell) * scale.cellWidth + Number(inside);
}

function renderRuler(
  document: InspectDocument,
  options: InspectViewOptions,
  withLegend: boolean,
): string[] {
  const size = document.wal_seg_size;
  if (size === 0) return [];
  const rows: RulerRow[] = document.safekeepers.map((answer) => localRow(answer, size));
  const s3 = document.s3.segments;
  if (s3 !== null) {
    const present = new Set<bigint>();
    for (const name of s3.names) {
      const n = segno(name, size);
      if (n !== undefined) present.add(n);
    }
    rows.push({ label: 's3', present, markers: [] });
  }
  const all = rows.flatMap((row) => [
    ...row.present,
    ...(row.partialSegno === undefined ? [] : [row.partialSegno]),
  ]);
  if (all.length === 0) return [];
  const low = all.reduce((a, b) => (b < a ? b : a));
  const high = all.reduce((a, b) => (b > a ? b : a));
  const scale = rulerScale(low, high, options.widthColumns);
  const { segmentsPerCell, cellWidth, cells: used } = scale;
  const glyphs = options.unicode ? GLYPHS.unicode : GLYPHS.ascii;
  const labelWidth = RULER_LABEL_WIDTH;
  // The first segment's name over the first column, the last one's ending over the last.
  const lowName = shortSegment(segmentFileName(low, size));
  const highName = shortSegment(segmentFileName(high, size));
  const lines = [
    `${''.padEnd(labelWidth)} ${lowName}${' '.repeat(Math.max(1, used * cellWidth - lowName.length - highName.length))}${highName}`,
  ];
  for (const row of rows) {
    // A safekeeper that did not answer: what is known of it, in place of its segments.
    if (row.note !== undefined) {
      lines.push(`${row.label.padEnd(labelWidth)} ${row.note}`);
      continue;
    }
    let bar = '';
    for (let cell = 0; cell < used; cell++) {
      const from = low + BigInt(cell * segmentsPerCell);
      let full = 0;
      let partial = false;
      for (let s = from; s < from + BigInt(segmentsPerCell) && s <= high; s++) {
        if (row.partialSegno === s) partial = true;
        else if (row.present.has(s)) full++;
      }
      const glyph = full > 0 && !partial ? glyphs.full : partial ? glyphs.partial : glyphs.none;
      bar += glyph.repeat(cellWidth);
    }
    lines.push(`${row.label.padEnd(labelWidth)} ${bar}`);
    if (row.markers.length > 0) {
      const marks = Array.from({ length: used * cellWidth }, () => ' ');
      for (const { lsn, mark } of row.markers) {
        const at = lsnColumn(scale, lsn, size);
        if (at !== undefined) marks[at] = marks[at] === ' ' ? mark : '*';
      }
      lines.push(`${''.padEnd(labelWidth)} ${marks.join('').trimEnd()}`);
    }
  }
  if (withLegend)
    lines.push(
      `${''.padEnd(labelWidth)} ${glyphs.full} segment ${glyphs.partial} partial ${glyphs.none} none  C commit B backup R remote H horizon *several`,
    );
  return lines;
}

export function renderInspect(
  document: InspectDocument,
  theme: Theme,
  options: InspectViewOptions,
): string {
  const height = options.heightRows ?? Number.POSITIVE_INFINITY;
  let text = renderInspectWithout(document, theme, options, new Set());
  const leftOut = new Set<Compaction>();
  for (const compaction of COMPACTIONS) {
    if (text.split('\n').length <= height) break;
    leftOut.add(compaction);
    text = renderInspectWithout(document, theme, options, leftOut);
  }
  return text;
}

function renderInspectWithout(
  document: InspectDocument,
  theme: Theme,
  options: InspectViewOptions,
  leftOut: ReadonlySet<Compaction>,
): string {
  const width = options.widthColumns;
  const narrow = `${document.tenant_id}/${document.timeline_id}`.length + 30 > width;
  const id = narrow
    ? `${shortId(document.tenant_id)}/${shortId(document.timeline_id)}`
    : `${document.tenant_id}/${document.timeline_id}`;
  // A lagging safekeeper in words: how far, behind whom, and what catches it up.
  const lagging = laggingSafekeepers(document);
  const lagLines = lagging.map((sk) =>
    theme.warn(
      `sk${sk.id} is ${formatSizeBytes(Number(sk.behindBytes))} behind sk${sk.leader.id} ` +
        `(${sk.flushLsn} of ${sk.leader.flushLsn}); a wal push catches it up`,
    ),
  );
  const lines = [
    theme.bold(`timeline ${id}`) +
      (document.wal_seg_size === 0
        ? ''
        : theme.dim(`  (segments of ${formatSizeBytes(document.wal_seg_size)})`)),
    '',
    lsnTable(document, lagging, theme, width, !leftOut.has('saved-rows')),
    ...lagLines,
    '',
    diskTable(document, theme, width),
    '',
    connectionTable(document, theme, width),
    '',
  ];
  const ps = document.pageserver;
  if (ps === null) lines.push('pageserver  not run by this cluster');
  else if (ps.result === undefined)
    lines.push(`pageserver  ${theme.error(ps.error?.message ?? ps.state)}`);
  else {
    const doc = ps.result;
    const source = doc.source === null ? 'no source' : `from sk${doc.source.safekeeper_id}`;
    lines.push(
      `pageserver  ${doc.state} ${source}`,
      `            received ${doc.received_lsn}  durable ${doc.durable_lsn}  uploaded ${doc.uploaded_lsn}`,
    );
  }
  const s3 = document.s3;
  if (s3.error !== null) lines.push(`s3          ${theme.error(s3.error)}`);
  else if (s3.segments === null || s3.segments.count === 0)
    lines.push('s3          no segments offloaded');
  else {
    const seg = s3.segments;
    const problems = [
      seg.gaps.length === 0
        ? 'no gap'
        : theme.error(`gaps: ${seg.gaps.map(shortSegment).join(', ')}`),
      seg.wrong_size.length === 0
        ? 'sizes right'
        : theme.error(
            `wrong size: ${seg.wrong_size.map((w) => `${shortSegment(w.name)} (${w.size} B)`).join(', ')}`,
          ),
    ];
    lines.push(
      `s3          ${shortSegment(seg.first ?? '')}..${shortSegment(seg.last ?? '')} (${seg.count}, ${formatSizeBytes(seg.bytes)}); ${problems.join('; ')}`,
    );
  }
  const offload = document.offload;
  lines.push(
    `offload     ${
      offload.error !== null
        ? theme.error(`leader unknown (${offload.error})`)
        : offload.leader_node_id === null
          ? 'no leader (nothing to upload, or no election won)'
          : `leader: safekeeper ${offload.leader_node_id} (from etcd)`
    }`,
  );
  const ruler = renderRuler(document, options, !leftOut.has('legend'));
  if (ruler.length > 0) lines.push('', ...ruler);
  // Every line fits: the tables cut their last column, a long message line is cut here.
  const text = lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => !(leftOut.has('blank-lines') && line.trim() === ''))
    .map((line) => truncateVisible(line, width))
    .join('\n');
  // Without UTF-8 the ellipsis of shortened ids and cut cells is ASCII too (same width).
  return options.unicode ? text : text.replaceAll('…', '~');
}
