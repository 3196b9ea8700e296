// Discovery while the cluster starts: a safekeeper that refuses connections in the pageserver's
// first seconds, and has never answered, is still starting and is not warned about; nonsense,
// a refusal after the grace period, or one from a safekeeper that answered before, are.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { findFreePort } from '../../../src/cluster/process/ports.js';
import type { NodeId } from '../../../src/common/ids.js';
import type { SafekeeperEndpoint } from '../../../src/pageserver/config.js';
import { SafekeeperDiscovery } from '../../../src/pageserver/discovery/safekeeper-discovery.js';
import { DISCOVERY_STARTUP_GRACE_MS } from '../../../src/pageserver/limits.js';
import type { TimelineRegistry } from '../../../src/pageserver/timeline/timeline-registry.js';

async function serve(t: { after(fn: () => unknown): void }, status: number, body: string) {
  const server: Server = createServer((_req, res) => res.writeHead(status).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return { server, port: (server.address() as AddressInfo).port };
}

function endpoint(id: number, port: number): SafekeeperEndpoint {
  return { id: id as NodeId, host: '127.0.0.1', pgPort: 1, httpUrl: `http://127.0.0.1:${port}` };
}

test('refusals while the cluster starts are quiet; nonsense and later refusals are not', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  const lines: { msg: string; safekeeper: number }[] = [];
  const log = pino(
    { base: null },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { msg: string; safekeeper: number });
        done();
      },
    }),
  );
  const refusing = await findFreePort(41_000, new Set());
  const nonsense = await serve(t, 500, 'no');
  const answering = await serve(t, 200, '[]');
  const discovery = new SafekeeperDiscovery({
    endpoints: [endpoint(1, refusing), endpoint(2, nonsense.port), endpoint(3, answering.port)],
    registry: { applyDiscovery: () => Promise.resolve() } as unknown as TimelineRegistry,
    intervalMs: 1000,
    log,
  });
  const warned = () =>
    lines
      .filter((line) => line.msg === 'safekeeper does not answer discovery')
      .map((line) => line.safekeeper);
  const signal = new AbortController().signal;

  await discovery.runRound(signal);
  assert.deepEqual(warned(), [2], 'the refusing one is still starting; nonsense is warned');

  // Safekeeper 3 answered once: its refusal now is a failure, even within the grace period.
  answering.server.close();
  answering.server.closeAllConnections();
  await discovery.runRound(signal);
  assert.deepEqual(warned().sort(), [2, 3]);

  t.mock.timers.tick(DISCOVERY_STARTUP_GRACE_MS);
  await discovery.runRound(signal);
  assert.deepEqual(warned().sort(), [1, 2, 3], 'after the grace period, a refusal is a failure');
  assert.equal(warned().length, 3, 'each is warned once');
});
