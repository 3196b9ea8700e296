// IDENTIFY_SYSTEM (neon-reference §7.5): one row of the system id (decimal text), the
// PostgreSQL timeline (1), the WAL position (flush_lsn, X/X) and a NULL database name.
import { formatLsn } from '../../postgres/lsn.js';
import { PG_TIMELINE_ID } from '../../postgres/segment-name.js';
import {
  encodeCommandComplete,
  encodeDataRow,
  encodeReadyForQuery,
  encodeRowDescription,
} from '../../postgres/wire/backend-messages.js';
import type { Timeline } from '../timeline/timeline.js';

const TEXT_OID = 25;
const INT4_OID = 23;

export function identifySystem(timeline: Timeline): Buffer[] {
  return [
    encodeRowDescription([
      { name: 'systemid', typeOid: TEXT_OID },
      { name: 'timeline', typeOid: INT4_OID },
      { name: 'xlogpos', typeOid: TEXT_OID },
      { name: 'dbname', typeOid: TEXT_OID },
    ]),
    encodeDataRow([
      timeline.state.server.systemId.toString(),
      String(PG_TIMELINE_ID),
      formatLsn(timeline.flushLsn),
      null,
    ]),
    encodeCommandComplete('IDENTIFY_SYSTEM'),
    encodeReadyForQuery('I'),
  ];
}
