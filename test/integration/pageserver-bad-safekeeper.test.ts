// The pageserver against misbehaving safekeepers: one whose admin API answers nonsense (left out
// of discovery, warned about once) and one that streams WAL that does not decode (that timeline
// becomes broken with the decoder's message, logged once as an ERROR, nothing of it kept); the
// daemon keeps serving its API throughout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLsn } from '../../src/postgres/lsn.js';
import { startFakeSafekeeper } from '../helpers/fake-safekeeper.js';
import { errorLines, startPageserver, waitForTimeline } from '../helpers/pageserver.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { makeTestWal, MIB } from '../helpers/wal.js';
import { findFreePort } from '../../src/cluster/process/ports.js';
import { randomPortBelowEphemeral } from '../helpers/ports.js';

const TENANT = 'badbadbadbadbadbadbadbadbadbad00';
const TIMELINE = 'badbadbadbadbadbadbadbadbadbad11';
const SEGMENT_BYTES = 16 * MIB;
const START = BigInt(SEGMENT_BYTES);

test('misbehaving safekeepers never take the pageserver down', { timeout: 60_000 }, async (t) => {
  const wal = makeTestWal(START, [5000, 9000, 7000], SEGMENT_BYTES);
  const corrupt = Buffer.from(wal.bytes);
  corrupt[Number(wal.records[1]!.startLsn - START) + 60]! ^= 0x5a;
  const entry = {
    tenant_id: TENANT,
    timeline_id: TIMELINE,
    server: { wal_seg_size: SEGMENT_BYTES },
    commit_lsn: formatLsn(wal.endLsn),
    timeline_start_lsn: formatLsn(START),
    local_start_lsn: formatLsn(START),
  };
  const nonsense = await startFakeSafekeeper(t, {
    timelines: () => ({ status: 200, body: '{"not":"a list"' }),
    stream: [],
    walEndLsn: 0n,
  });
  const corrupting = await startFakeSafekeeper(t, {
    timelines: () => ({ status: 200, body: JSON.stringify([entry, { tenant_id: 'x' }, 42]) }),
    stream: [{ lsn: START, bytes: corrupt }],
    walEndLsn: wal.endLsn,
  });
  const dataDir = await makeTempDir(t);
  const httpPort = await findFreePort(randomPortBelowEphemeral(100), new Set());
  const safekeepers = [
    `1=127.0.0.1:${nonsense.pgPort}=http://127.0.0.1:${nonsense.httpPort}`,
    `2=127.0.0.1:${corrupting.pgPort}=http://127.0.0.1:${corrupting.httpPort}`,
  ].join(',');
  const pageserver = await startPageserver(t, {
    dataDir,
    httpPort,
    args: [
      '-D',
      dataDir,
      '--listen-http',
      `127.0.0.1:${httpPort}`,
      '--safekeepers',
      safekeepers,
      '--discovery-interval',
      '100ms',
      '--no-sync',
    ],
  });
  const broken = await waitForTimeline(
    pageserver,
    `${TENANT}/${TIMELINE}`,
    (doc) => doc.state === 'broken',
    'the corrupt stream breaks the timeline',
  );
  assert.match(broken.last_error ?? '', /checksum|record/);
  assert.equal(broken.received_lsn, formatLsn(START), 'nothing of the corrupt WAL is taken');
  assert.deepEqual(corrupting.commands, [`START_REPLICATION PHYSICAL ${formatLsn(START)}`]);
  // More discovery rounds: no reconnect to the broken timeline, one warning for the nonsense.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(corrupting.commands.length, 1);
  const status = await fetch(`${pageserver.url}/v1/status`);
  assert.deepEqual(await status.json(), { id: 'pageserver', timelines: 1 });
  const warnings = pageserver
    .output()
    .split('\n')
    .filter((line) => line.includes('safekeeper does not answer discovery'));
  assert.equal(warnings.length, 1, pageserver.output());
  assert.equal(errorLines(pageserver).length, 1, 'the broken timeline is logged once');
  assert.equal(pageserver.child.exitCode, null, 'the pageserver still runs');
});
