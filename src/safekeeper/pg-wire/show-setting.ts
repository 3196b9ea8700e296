// SHOW <name> for what a replication client asks before streaming: `wal_segment_size` (the
// timeline's, as PostgreSQL shows it: "16MB") and `data_directory_mode` ("0700", what
// pg_receivewal creates its files with). Any other name is an unrecognized parameter, as in
// PostgreSQL. One row, one text column named after the parameter.
import { AppError } from '../../common/errors.js';
import {
  encodeCommandComplete,
  encodeDataRow,
  encodeReadyForQuery,
  encodeRowDescription,
} from '../../postgres/wire/backend-messages.js';
import { TYPE_OIDS } from '../../postgres/wire/pg-types.js';
import type { Timeline } from '../timeline/timeline.js';

const SHOW_COMMAND = /^SHOW\s+("?)([A-Za-z_][A-Za-z0-9_]*)\1$/i;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** Owner-only, as the safekeeper keeps its own files. */
const DATA_DIRECTORY_MODE = '0700';

/** PostgreSQL's display of a size in bytes with unit: the largest of kB, MB, GB that divides it. */
export function formatSettingSize(bytes: number): string {
  if (bytes % GIB === 0) return `${bytes / GIB}GB`;
  if (bytes % MIB === 0) return `${bytes / MIB}MB`;
  return `${bytes / 1024}kB`;
}

/** The answer to `command`; `timeline` gives the values that depend on it. */
export function showSetting(command: string, timeline: () => Timeline): Buffer[] {
  const name = SHOW_COMMAND.exec(command)?.[2]?.toLowerCase();
  if (name === undefined)
    throw new AppError('usage', `malformed SHOW "${command.slice(0, 80)}": expected SHOW name`);
  let value: string;
  switch (name) {
    case 'wal_segment_size': {
      const segmentSizeBytes = timeline().state.server.walSegSize;
      if (segmentSizeBytes === 0)
        throw new AppError(
          'wrong-state',
          'wal_segment_size is not known yet: no walproposer has greeted this timeline',
        );
      value = formatSettingSize(segmentSizeBytes);
      break;
    }
    case 'data_directory_mode':
      value = DATA_DIRECTORY_MODE;
      break;
    default:
      throw new AppError(
        'not-found',
        `unrecognized configuration parameter "${name}": this safekeeper shows wal_segment_size and data_directory_mode`,
      );
  }
  return [
    encodeRowDescription([{ name, typeOid: TYPE_OIDS.text }]),
    encodeDataRow([value]),
    encodeCommandComplete('SHOW'),
    encodeReadyForQuery('I'),
  ];
}
