// The daemon shell's supervision, on real processes (test/helpers/shell-daemon-fixture.ts): a
// task that throws or returns takes the daemon down with exit 1 and its name in the log;
// SIGTERM during a slow task drains within the deadline and exits 0; a task that ignores the
// abort is named and the exit is 1; a SIGTERM during start-up is honoured once started.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { pollUntil } from '../../src/common/deadline.js';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { FIXTURE_DRAIN_TIMEOUT_MS, SLOW_STOP_MS } from '../helpers/shell-daemon-timings.js';

const FIXTURE = join(PROJECT_ROOT, 'dist', 'test', 'helpers', 'shell-daemon-fixture.js');
const WAIT_MS = 10_000;

interface Fixture {
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  waitForLine(text: string): Promise<void>;
}

function startFixture(scenario: string): Fixture {
  const child = spawn(process.execPath, [FIXTURE, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return {
    output: () => output,
    exited,
    kill: (signal) => child.kill(signal),
    waitForLine: async (text) => {
      const found = await pollUntil(() => Promise.resolve(output.includes(text) || undefined), {
        timeoutMs: WAIT_MS,
        intervalMs: 10,
      });
      assert.ok(found, `no "${text}" in the fixture's output:\n${output}`);
    },
  };
}

function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('a task that throws makes the daemon exit 1, naming the task', async () => {
  const fixture = startFixture('throw');
  assert.equal(await fixture.exited, 1);
  const failed = logLines(fixture.output()).find((line) => line.level === 'error');
  assert.ok(failed, fixture.output());
  assert.equal(failed.task, 'doomed');
  assert.match(String(failed.msg), /task doomed failed/);
  assert.match(String(failed.err), /boom in the doomed task/);
  assert.match(fixture.output(), /cleaned up/, 'the cleanup still ran');
});

test('a task that returns while the daemon runs is a failure too', async () => {
  const fixture = startFixture('return');
  assert.equal(await fixture.exited, 1);
  const failed = logLines(fixture.output()).find((line) => line.level === 'error');
  assert.equal(failed?.task, 'quitter');
  assert.match(String(failed.err), /returned while the daemon was running/);
});

test('SIGTERM during a slow task drains within the deadline and exits 0', async () => {
  const fixture = startFixture('slow-stop');
  await fixture.waitForLine('"msg":"started"');
  const sentAt = performance.now();
  fixture.kill('SIGTERM');
  assert.equal(await fixture.exited, 0, fixture.output());
  const tookMs = performance.now() - sentAt;
  assert.ok(tookMs >= SLOW_STOP_MS, `the slow task was waited for (${tookMs.toFixed(0)} ms)`);
  const lines = logLines(fixture.output());
  assert.ok(!lines.some((line) => line.level === 'error'), fixture.output());
  assert.deepEqual(
    lines.map((line) => line.msg).filter((msg) => msg !== 'starting'),
    ['started', 'shutting down', 'cleaned up', 'stopped'],
  );
});

test('a task that ignores the abort is named after the deadline and the exit is 1', async () => {
  const fixture = startFixture('stuck');
  await fixture.waitForLine('"msg":"started"');
  fixture.kill('SIGINT');
  assert.equal(await fixture.exited, 1);
  const error = logLines(fixture.output()).find((line) => line.level === 'error');
  assert.deepEqual(error?.tasks, ['stuck']);
  assert.match(String(error.msg), new RegExp(`within ${FIXTURE_DRAIN_TIMEOUT_MS} ms: stuck`));
});

test('a SIGTERM during start-up is honoured once the daemon has started', async () => {
  const fixture = startFixture('slow-start');
  await fixture.waitForLine('"msg":"starting"');
  fixture.kill('SIGTERM');
  assert.equal(await fixture.exited, 0, fixture.output());
  const messages = logLines(fixture.output()).map((line) => line.msg);
  assert.deepEqual(messages, ['starting', 'started', 'shutting down', 'cleaned up', 'stopped']);
});
