// The per-timeline histogram behind the WAL write/flush and persist metrics: what a scrape shows
// must be exactly what prom-client's own Histogram shows for the same observations, and a removed
// timeline must leave the exposition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { TimelineHistogram } from '../../../src/safekeeper/http/timeline-histogram.js';

const BOUNDS = [0.001, 0.01, 0.1];
const A = { tenant_id: 'aa', timeline_id: '01' };
const B = { tenant_id: 'bb', timeline_id: '02' };

/** Every sample line of an exposition as `name{sorted labels} value`, sorted. */
function samples(exposition: string): string[] {
  return exposition
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
      assert.ok(match, `a sample line with labels: ${line}`);
      const labels = (match[2] as string).split(',').sort().join(',');
      return `${match[1]}{${labels}} ${match[3]}`;
    })
    .sort();
}

test('a scrape shows what prom-client shows for the same observations', async () => {
  const ours = new Registry();
  ours.setDefaultLabels({ node_id: '7' });
  const histogram = new TimelineHistogram('wal_seconds', 'help text', BOUNDS, ours);
  const theirs = new Registry();
  theirs.setDefaultLabels({ node_id: '7' });
  const reference = new Histogram({
    name: 'wal_seconds',
    help: 'help text',
    labelNames: ['tenant_id', 'timeline_id'],
    buckets: BOUNDS,
    registers: [theirs],
  });
  const observations: [typeof A, number][] = [
    [A, 0.0005],
    [A, 0.001],
    [A, 0.05],
    [A, 3],
    [B, 0.01],
    [B, 0.0101],
  ];
  for (const [labels, value] of observations) {
    histogram.seriesFor(labels).observe(value);
    reference.observe(labels, value);
  }
  const exposition = await ours.metrics();
  assert.deepEqual(samples(exposition), samples(await theirs.metrics()));
  assert.match(exposition, /^# TYPE wal_seconds histogram$/m);
  assert.match(exposition, /^wal_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} 4$/m);
});

test('a removed timeline leaves the exposition; its series starts again at zero', async () => {
  const registry = new Registry();
  const histogram = new TimelineHistogram('wal_seconds', 'help text', BOUNDS, registry);
  histogram.seriesFor(A).observe(0.5);
  histogram.seriesFor(B).observe(0.5);
  histogram.remove(A);
  const exposition = await registry.metrics();
  assert.doesNotMatch(exposition, /tenant_id="aa"/);
  assert.match(exposition, /^wal_seconds_count\{tenant_id="bb",timeline_id="02"\} 1$/m);
  histogram.seriesFor(A).observe(0.5);
  assert.match(
    await registry.metrics(),
    /^wal_seconds_count\{tenant_id="aa",timeline_id="01"\} 1$/m,
  );
});
