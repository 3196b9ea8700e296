import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { httpGet } from '../../../src/common/http-get.js';

async function serve(t: TestContext, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  t.after(() => server.closeAllConnections());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const LIMITS = { timeoutMs: 2000, maxBytes: 1024 };

test('httpGet resolves with the status and body, whatever the status', async (t) => {
  const url = await serve(t, (req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end(req.url === '/missing' ? 'no' : '{"a":1}');
  });
  assert.deepEqual(await httpGet(`${url}/x`, LIMITS), { status: 200, body: '{"a":1}' });
  assert.deepEqual(await httpGet(`${url}/missing`, LIMITS), { status: 404, body: 'no' });
});

test('httpGet rejects an answer over maxBytes, a silent server and a refused connection', async (t) => {
  const url = await serve(t, (req, res) => {
    if (req.url === '/big') res.end('x'.repeat(2000));
    // '/silent': never answers.
  });
  await assert.rejects(
    httpGet(`${url}/big`, LIMITS),
    /^Error: GET .*\/big failed: answer exceeds 1024 bytes$/,
  );
  await assert.rejects(
    httpGet(`${url}/silent`, { ...LIMITS, timeoutMs: 100 }),
    /\/silent failed: no answer within 100ms$/,
  );
  await assert.rejects(httpGet('http://127.0.0.1:1/x', LIMITS), /:1\/x failed: .*ECONNREFUSED/);
});

test('httpGet stops when its signal is aborted', async (t) => {
  const url = await serve(t, () => undefined);
  const controller = new AbortController();
  const answer = httpGet(`${url}/silent`, { ...LIMITS, signal: controller.signal });
  controller.abort();
  await assert.rejects(answer, /\/silent failed: .*abort/i);
});
