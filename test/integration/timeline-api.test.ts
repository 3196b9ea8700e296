// The safekeeper's timeline admin API against a real daemon: create/get/list/delete with the
// documented answers, bad ids refused with 400 without touching a file, 409 on re-creation,
// idempotent deletes, a corrupt control file isolated to its timeline, metrics, and the
// --dump-control-file mode.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { SAFEKEEPER, startTestSafekeeper } from '../helpers/safekeeper.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const TENANT_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const TENANT_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
const TIMELINE_X = '0000000000000000000000000000000a';
const TIMELINE_Y = '0000000000000000000000000000000b';
const TIMELINE_Z = '0000000000000000000000000000000c';

interface Answer {
  status: number;
  body: unknown;
}

async function call(url: string, method: string, body?: string): Promise<Answer> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function createBody(tenant: string, timeline: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ tenant_id: tenant, timeline_id: timeline, ...extra });
}

/** Every path under `dir` with its size and mtime: proof that nothing was touched. */
async function snapshotTree(dir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const info = await stat(join(dir, entry));
    lines.push(`${entry} ${info.size} ${info.mtimeMs}`);
  }
  return lines.sort();
}

/** A sample line of `name` for the timeline, whatever the label order. */
function metricLine(name: string, timelineId: string, value: number): RegExp {
  return new RegExp(`^${name}\\{(?=[^}]*timeline_id="${timelineId}")[^}]*\\} ${value}$`, 'm');
}

function errorCode(answer: Answer): string | undefined {
  return (answer.body as { error?: { code?: string } } | undefined)?.error?.code;
}

test(
  'timeline admin API: create, status, list, delete, bad input',
  { timeout: 60_000 },
  async (t) => {
    const dataDir = join(await makeTempDir(t), 'sk');
    const sk = await startTestSafekeeper(t, dataDir);
    const api = `${sk.url}/v1`;

    const created = await call(
      `${api}/tenant/timeline`,
      'POST',
      createBody(TENANT_A, TIMELINE_X, {
        wal_seg_size: 16 * 1024 * 1024,
        pg_version: 150000,
        system_id: '7300000000000000001',
        peer_ids: [2, 3],
      }),
    );
    assert.equal(created.status, 201);
    const doc = created.body as Record<string, unknown>;
    assert.equal(doc.tenant_id, TENANT_A);
    assert.equal(doc.timeline_id, TIMELINE_X);
    assert.equal(doc.flush_lsn, '0/0');
    assert.equal(doc.commit_lsn, '0/0');
    assert.deepEqual(doc.acceptor_state, { term: 0, epoch: 0, term_history: [] });
    assert.deepEqual(doc.server, {
      pg_version: 150000,
      system_id: '7300000000000000001',
      wal_seg_size: 16777216,
    });
    assert.deepEqual(doc.persisted, {
      commit_lsn: '0/0',
      backup_lsn: '0/0',
      peer_horizon_lsn: '0/0',
      remote_consistent_lsn: '0/0',
    });
    assert.deepEqual(doc.local_segments, {
      first: null,
      last: null,
      count: 0,
      bytes: 0,
      partial: null,
    });
    assert.deepEqual(
      (doc.peers as { node_id: number }[]).map((peer) => peer.node_id),
      [2, 3],
    );

    const again = await call(`${api}/tenant/timeline`, 'POST', createBody(TENANT_A, TIMELINE_X));
    assert.equal(again.status, 409);
    assert.equal(errorCode(again), 'conflict');
    assert.match(JSON.stringify(again.body), /already exists/);

    for (const [tenant, timeline] of [
      [TENANT_A, TIMELINE_Y],
      [TENANT_B, TIMELINE_Z],
    ] as const)
      assert.equal(
        (await call(`${api}/tenant/timeline`, 'POST', createBody(tenant, timeline))).status,
        201,
      );
    const fetched = await call(`${api}/tenant/${TENANT_A}/timeline/${TIMELINE_X}`, 'GET');
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.body, doc);
    const ofTenant = await call(`${api}/tenant/${TENANT_A}/timelines`, 'GET');
    assert.deepEqual(
      (ofTenant.body as { timeline_id: string }[]).map((entry) => entry.timeline_id),
      [TIMELINE_X, TIMELINE_Y],
    );
    assert.equal(((await call(`${api}/timelines`, 'GET')).body as unknown[]).length, 3);
    const missing = await call(`${api}/tenant/${TENANT_B}/timeline/${TIMELINE_X}`, 'GET');
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing), 'not-found');

    // Bad input: 400 (or no route at all), and not a byte on disk changes.
    const before = await snapshotTree(dataDir);
    const badIds = [
      '..',
      '..%2F..%2Fetc',
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1',
      'a'.repeat(31),
      'a'.repeat(33),
      'g'.repeat(32),
      '%00',
    ];
    for (const bad of badIds) {
      for (const [method, path] of [
        ['GET', `/tenant/${bad}/timeline/${TIMELINE_X}`],
        ['DELETE', `/tenant/${bad}/timeline/${TIMELINE_X}`],
        ['GET', `/tenant/${TENANT_A}/timeline/${bad}`],
        ['DELETE', `/tenant/${TENANT_A}/timeline/${bad}`],
        ['DELETE', `/tenant/${bad}`],
        ['GET', `/tenant/${bad}/timelines`],
      ] as const) {
        // URL rules resolve a literal ".." segment first: /tenant/../timelines is /timelines.
        if (bad === '..' && path.endsWith('/timelines')) continue;
        const answer = await call(`${api}${path}`, method);
        assert.ok([400, 404].includes(answer.status), `${method} ${path}: ${answer.status}`);
        if (answer.status === 400) assert.equal(errorCode(answer), 'bad-request');
      }
      const posted = await call(
        `${api}/tenant/timeline`,
        'POST',
        createBody(decodeURIComponent(bad), TIMELINE_X),
      );
      assert.equal(posted.status, 400, `POST tenant ${bad}`);
    }
    const badBodies = [
      '{not json',
      '[1,2]',
      createBody(TENANT_A, TIMELINE_Z, { colour: 'red' }),
      createBody(TENANT_A, TIMELINE_Z, { wal_seg_size: 12345 }),
      createBody(TENANT_A, TIMELINE_Z, { system_id: '-1' }),
      createBody(TENANT_A, TIMELINE_Z, { peer_ids: ['x'] }),
      JSON.stringify({ tenant_id: TENANT_A }),
      'x'.repeat(100_000),
    ];
    for (const body of badBodies) {
      const answer = await call(`${api}/tenant/timeline`, 'POST', body);
      assert.equal(answer.status, 400, body.slice(0, 60));
      assert.equal(errorCode(answer), 'bad-request');
    }
    assert.equal(
      (await call(`${api}/tenant/${TENANT_A}/timeline/${TIMELINE_X}`, 'DELETE', '{}')).status,
      400,
    );
    assert.deepEqual(await snapshotTree(dataDir), before);

    // Deleting something that does not exist is idempotent.
    for (let i = 0; i < 2; i++) {
      const gone = await call(`${api}/tenant/${TENANT_B}/timeline/${TIMELINE_X}`, 'DELETE');
      assert.deepEqual(gone, { status: 200, body: { dir_existed: false, was_active: false } });
    }
    const deleted = await call(`${api}/tenant/${TENANT_A}/timeline/${TIMELINE_Y}`, 'DELETE');
    assert.deepEqual(deleted.body, { dir_existed: true, was_active: false });
    assert.equal(
      (await call(`${api}/tenant/${TENANT_A}/timeline/${TIMELINE_Y}`, 'GET')).status,
      404,
    );
    const tenantGone = await call(`${api}/tenant/${TENANT_A}`, 'DELETE');
    assert.deepEqual(tenantGone.body, { [TIMELINE_X]: { dir_existed: true, was_active: false } });
    assert.deepEqual(
      await readdir(dataDir).then((names) => names.filter((name) => name === TENANT_A)),
      [],
    );
    assert.deepEqual((await call(`${api}/tenant/${TENANT_A}`, 'DELETE')).body, {});

    const metrics = await (await fetch(`${sk.url}/metrics`)).text();
    assert.match(metrics, metricLine('safekeeper_flush_lsn', TIMELINE_Z, 0));
    assert.match(metrics, metricLine('safekeeper_commit_lsn', TIMELINE_Z, 0));
    assert.match(
      metrics,
      metricLine('safekeeper_persist_control_file_seconds_count', TIMELINE_Z, 1),
    );
    assert.doesNotMatch(
      metrics,
      new RegExp(`tenant_id="${TENANT_A}"`),
      'deleted timelines leave the metrics',
    );
    assert.doesNotMatch(sk.output(), /"level":"error"/);
  },
);

test('a corrupt control file breaks only its own timeline', { timeout: 60_000 }, async (t) => {
  const dataDir = join(await makeTempDir(t), 'sk');
  const first = await startTestSafekeeper(t, dataDir);
  for (const timeline of [TIMELINE_X, TIMELINE_Y])
    assert.equal(
      (await call(`${first.url}/v1/tenant/timeline`, 'POST', createBody(TENANT_A, timeline)))
        .status,
      201,
    );
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);

  const controlFile = join(dataDir, TENANT_A, TIMELINE_Y, 'safekeeper.control');
  const bytes = await readFile(controlFile);
  bytes[100] = (bytes[100] ?? 0) ^ 0x10;
  await writeFile(controlFile, bytes);

  const sk = await startTestSafekeeper(t, dataDir);
  const api = `${sk.url}/v1`;
  assert.equal((await call(`${api}/tenant/${TENANT_A}/timeline/${TIMELINE_X}`, 'GET')).status, 200);
  const broken = await call(`${api}/tenant/${TENANT_A}/timeline/${TIMELINE_Y}`, 'GET');
  assert.equal(broken.status, 500);
  assert.equal(errorCode(broken), 'integrity');
  assert.match(JSON.stringify(broken.body), /checksum mismatch/);
  const listed = (await call(`${api}/tenant/${TENANT_A}/timelines`, 'GET')).body as Record<
    string,
    unknown
  >[];
  assert.equal(listed.length, 2);
  assert.equal((listed[1]?.error as { code: string }).code, 'integrity');
  assert.equal(
    (await call(`${api}/tenant/timeline`, 'POST', createBody(TENANT_B, TIMELINE_Z))).status,
    201,
  );
  const errorLines = sk
    .output()
    .split('\n')
    .filter((line) => line.includes('"level":"error"'));
  assert.equal(errorLines.length, 1, 'the broken timeline is logged once, at load');
  assert.match(errorLines[0] ?? '', /checksum mismatch/);

  // The dump mode tells the same story, with exit code 8 for the corrupt file.
  const run = promisify(execFile);
  const good = await run(process.execPath, [
    SAFEKEEPER,
    '--dump-control-file',
    join(dataDir, TENANT_A, TIMELINE_X, 'safekeeper.control'),
  ]);
  const dumped = JSON.parse(good.stdout) as Record<string, unknown>;
  assert.equal(dumped.tenant_id, TENANT_A);
  assert.equal(dumped.commit_lsn, 0);
  const bad = await run(process.execPath, [SAFEKEEPER, '--dump-control-file', controlFile]).then(
    () => undefined,
    (error: unknown) => error as { code: number; stderr: string },
  );
  assert.equal(bad?.code, 8);
  assert.match(bad?.stderr ?? '', /checksum mismatch/);

  // A broken timeline can be deleted, which is how an operator clears it.
  const deleted = await call(`${api}/tenant/${TENANT_A}/timeline/${TIMELINE_Y}`, 'DELETE');
  assert.deepEqual(deleted.body, { dir_existed: true, was_active: false });
});
