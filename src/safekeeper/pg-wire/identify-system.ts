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
import { TYPE_OIDS } from '../../postgres/wire/pg-types.js';
import type { Timeline } from '../timeline/timeline.js';

export function identifySystem(timeline: Timeline): Buffer[] {
  return [
    encodeRowDescription([
      { name: 'systemid', typeOid: TYPE_OIDS.text },
      { name: 'timeline', typeOid: TYPE_OIDS.int4 },
      { name: 'xlogpos', typeOid: TYPE_OIDS.text },
      { name: 'dbname', typeOid: TYPE_OIDS.text },
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
