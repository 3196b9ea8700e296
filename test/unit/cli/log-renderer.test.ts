// How `logs` and a failed `start` show daemon log lines: real lines as the safekeeper (pino),
// etcd (zap JSON and plain) and the s3 server write them, plus malformed and non-log JSON.
// The colourless rendering is pinned as a snapshot; the coloured one must say the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { loadLogLineRenderer } from '../../../src/cli/ui/log-renderer.js';
import {
  formatLogValue,
  parseLogRecord,
  formatLogMessage,
} from '../../../src/cli/ui/log-record.js';

const ESC = '\u001b';

const SAMPLE_LINES = [
  '{"level":"info","time":"2026-12-01T12:25:47.735Z","component":"safekeeper","node":1,"loaded":0,"broken":0,"msg":"timelines loaded"}',
  '{"level":"info","time":"2026-12-01T12:25:47.741Z","component":"safekeeper","node":1,"dataDir":"/tmp/repo/safekeepers/sk1","listenPg":{"host":"127.0.0.1","port":22454},"broker":["http://127.0.0.1:19379"],"noSync":false,"msg":"safekeeper started"}',
  '{"level":"error","time":"2026-12-01T12:26:02.588Z","component":"safekeeper","err":"safekeeper already initialized with id 7, can\'t set 2","msg":"could not start safekeeper"}',
  '{"level":"warn","ts":"2026-12-01T12:25:47.228Z","caller":"auth/store.go:1380","msg":"simple token is not cryptographically signed"}',
  '2026-12-01 12:25:47.190522 W | pkg/fileutil: check file permission: directory "/tmp/repo/etcd/data" exist',
  's3-server: listening on 127.0.0.1:26000, data in /tmp/repo/storage/data, buckets: neon-local',
  '2026-12-01T12:25:47.845Z HEAD /neon-local 200 9.1ms',
  '{"level":"info","time":"2026-12-01T12:25:4',
  '{"status":0,"result":[]}',
  '[1,2,3]',
  '',
  '{"level":"dpanic","ts":1764591947.5,"caller":"etcdserver/server.go:42","msg":"two\\nlines","peer":{"id":"8e9e05c52164694d","urls":["http://127.0.0.1:2380"],"health":{"ok":true}}}',
];

const SNAPSHOT = [
  '2026-12-01 12:25:47.735 INFO: safekeeper 1: timelines loaded loaded=0 broken=0',
  '2026-12-01 12:25:47.741 INFO: safekeeper 1: safekeeper started dataDir=/tmp/repo/safekeepers/sk1 listenPg={"host":"127.0.0.1","port":22454} broker=["http://127.0.0.1:19379"] noSync=false',
  '2026-12-01 12:26:02.588 ERROR: safekeeper: could not start safekeeper err="safekeeper already initialized with id 7, can\'t set 2"',
  '2026-12-01 12:25:47.228 WARN: simple token is not cryptographically signed caller=auth/store.go:1380',
  '2026-12-01 12:25:47.190522 W | pkg/fileutil: check file permission: directory "/tmp/repo/etcd/data" exist',
  's3-server: listening on 127.0.0.1:26000, data in /tmp/repo/storage/data, buckets: neon-local',
  '2026-12-01T12:25:47.845Z HEAD /neon-local 200 9.1ms',
  '{"level":"info","time":"2026-12-01T12:25:4',
  '{"status":0,"result":[]}',
  '[1,2,3]',
  '',
  '2025-12-01 12:25:47.500 DPANIC: two\\nlines caller=etcdserver/server.go:42 peer={"id":"8e9e05c52164694d","urls":["http://127.0.0.1:2380"],"health":{"ok":true}}',
];

test('colourless rendering of real sample lines (snapshot)', async () => {
  const render = await loadLogLineRenderer({ colour: false });
  const rendered = SAMPLE_LINES.map(render);
  assert.deepEqual(rendered, SNAPSHOT);
  for (const line of rendered) {
    assert.ok(!line.includes('\n') && !line.includes(ESC), `one line, no escape codes: ${line}`);
  }
});

test('coloured rendering carries escape codes and says the same without them', async () => {
  const render = await loadLogLineRenderer({ colour: true });
  const rendered = SAMPLE_LINES.map(render);
  assert.ok(rendered[2]?.includes(`${ESC}[31mERROR${ESC}[39m`), 'error level in red');
  assert.deepEqual(rendered.map(stripVTControlCharacters), SNAPSHOT);
});

test('parseLogRecord: which lines are log records', () => {
  const table: [string, boolean][] = [
    ['{"level":"info","time":"2026-12-01T00:00:00Z","msg":"m"}', true],
    ['{"level":30,"time":1764547200000,"msg":"m"}', true],
    ['{"level":"info","ts":"2026-12-01T00:00:00Z","msg":"m"}', true],
    ['{"level":"info","time":"2026-12-01T00:00:00Z"}', true],
    ['  {"level":"info","msg":"m"}', true],
    ['{"level":"info"}', false],
    ['{"msg":"no level","time":"2026-12-01T00:00:00Z"}', false],
    ['{"level":{"nested":true},"msg":"m"}', false],
    ['{"level":"info","msg":"m"', false],
    ['null', false],
    ['plain', false],
  ];
  for (const [line, isRecord] of table) {
    assert.equal(parseLogRecord(line) !== undefined, isRecord, line);
  }
});

test("parseLogRecord moves etcd's ts to time (zap epoch seconds become ms)", () => {
  assert.deepEqual(parseLogRecord('{"level":"info","ts":"2026-12-01T00:00:00Z","msg":"m"}'), {
    level: 'info',
    time: '2026-12-01T00:00:00Z',
    msg: 'm',
  });
  assert.equal(
    parseLogRecord('{"level":"info","ts":1764547200.25,"msg":"m"}')?.time,
    1764547200250,
  );
  const both = parseLogRecord('{"level":"info","time":1,"ts":2,"msg":"m"}');
  assert.deepEqual([both?.time, both?.ts], [1, 2], 'an own time wins; ts stays a key');
});

test('formatLogValue: bare when unambiguous, JSON otherwise', () => {
  const table: [unknown, string][] = [
    ['neon-local', 'neon-local'],
    ['/tmp/a b', '"/tmp/a b"'],
    ['', '""'],
    ['a=b', '"a=b"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['\u001b[31m', '"\\u001b[31m"'],
    [0, '0'],
    [false, 'false'],
    [null, 'null'],
    [{ a: [1, { b: 'c' }] }, '{"a":[1,{"b":"c"}]}'],
  ];
  for (const [value, text] of table) assert.equal(formatLogValue(value), text, String(value));
});

test('formatLogMessage: head, then msg, then key=value; control characters escaped', () => {
  assert.equal(
    formatLogMessage({ level: 'info', component: 'safekeeper', node: 3, msg: 'a\u001bb', x: 1 }),
    'safekeeper 3: a\\u001bb x=1',
  );
  assert.equal(formatLogMessage({ level: 'info', time: 1, pid: 4, hostname: 'h' }), '');
  assert.equal(formatLogMessage({ level: 'info', msg: 'm', 'we\nird': 'v' }), 'm we\\nird=v');
});
