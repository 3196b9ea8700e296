// The CLI starts Node without NODE_EXTRA_CA_CERTS (bin/run.js's first line) and trusts that file
// only when it makes an https connection itself (src/common/tls-trust.ts). Run the way users run
// it, as an executable: Node's start-up no longer reads the file, and an https S3 endpoint whose
// certificate only that file's CA vouches for is still trusted, and refused without it; so is an
// https etcd endpoint in `status`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { execa } from 'execa';
import { CLI } from '../helpers/cli.js';
import { startTestEtcd, TestS3Server, TEST_BUCKET } from '../helpers/backup-servers.js';
import { randomPortOffset } from '../helpers/cluster.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const NODE_IGNORES_CA_FILE = /Ignoring extra certs from/;

/** The CLI as an executable (its first line applies), as `neon_local` on PATH runs it. */
function runExecutable(args: readonly string[], env: Record<string, string>) {
  return execa(CLI, args, { env: { NO_COLOR: '1', ...env }, reject: false, stdin: 'ignore' });
}

/** A throw-away CA and a certificate for 127.0.0.1 signed by it (openssl, which bin/setup installs). */
async function makeCertificates(dir: string): Promise<{ ca: string; key: string; cert: string }> {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=neon_local test CA',
  ]);
  await run('openssl', [
    'req',
    ...ec,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  ]);
  return { ca: file('ca.pem'), key: file('server.key'), cert: file('server.pem') };
}

/** TLS in front of the embedded S3 server: every request passed on unchanged. */
async function startTlsProxy(
  key: string,
  cert: string,
  backendPort: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer(
    { key: await readFile(key), cert: await readFile(cert) },
    (incoming, outgoing) => {
      const forwarded = request(
        {
          host: '127.0.0.1',
          port: backendPort,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => outgoing.destroy());
      incoming.pipe(forwarded);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port };
}

test('started as an executable, Node does not read NODE_EXTRA_CA_CERTS', async () => {
  const env = { NODE_EXTRA_CA_CERTS: '/nonexistent/neon-local-ca.pem' };
  const direct = await execa(process.execPath, [CLI, '--version'], { env, reject: false });
  assert.match(direct.stderr, NODE_IGNORES_CA_FILE, 'the check sees a start that reads it');
  const executable = await runExecutable(['--version'], env);
  assert.equal(executable.exitCode, 0, executable.stderr);
  assert.doesNotMatch(executable.stderr, NODE_IGNORES_CA_FILE);
});

test(
  'an https S3 endpoint is trusted through NODE_EXTRA_CA_CERTS, and only through it',
  { timeout: 60_000 },
  async (t) => {
    const dir = await makeTempDir(t, 'neon-local-tls-');
    const { ca, key, cert } = await makeCertificates(dir);
    const s3 = await TestS3Server.start(t);
    const proxy = await startTlsProxy(key, cert, s3.port);
    t.after(() => new Promise<void>((resolve) => proxy.server.close(() => resolve())));
    const repoDir = join(dir, 'repo');
    const endpoint = `https://127.0.0.1:${proxy.port}`;
    const init = await runExecutable(
      [
        'init',
        '--remote-storage',
        's3',
        '--s3-endpoint',
        endpoint,
        '--bucket',
        TEST_BUCKET,
        '--safekeepers',
        '1',
        '--port-offset',
        String(randomPortOffset()),
      ],
      { NEON_REPO_DIR: repoDir },
    );
    assert.equal(init.exitCode, 0, init.stderr);
    const credentials = {
      NEON_REPO_DIR: repoDir,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    };

    const trusted = await runExecutable(['storage', 'ls', '--json'], {
      ...credentials,
      NODE_EXTRA_CA_CERTS: ca,
    });
    assert.equal(trusted.exitCode, 0, `${trusted.stdout}\n${trusted.stderr}`);
    const listing = JSON.parse(trusted.stdout) as { result: { objects: unknown[] } };
    assert.deepEqual(listing.result.objects, []);

    const untrusted = await runExecutable(['storage', 'ls', '--json'], credentials);
    assert.equal(untrusted.exitCode, 6, `${untrusted.stdout}\n${untrusted.stderr}`);
    const refusal = JSON.parse(untrusted.stdout) as { error: { message: string } };
    assert.match(refusal.error.message, /certificate/i);
  },
);

test(
  'status probes an https etcd endpoint with the deferred CA file, and only with it',
  { timeout: 60_000 },
  async (t) => {
    const dir = await makeTempDir(t, 'neon-local-tls-etcd-');
    const { ca, key, cert } = await makeCertificates(dir);
    const etcd = await startTestEtcd(t);
    const proxy = await startTlsProxy(key, cert, Number(new URL(etcd.endpoint).port));
    t.after(() => new Promise<void>((resolve) => proxy.server.close(() => resolve())));
    const repoDir = join(dir, 'repo');
    const init = await runExecutable(
      [
        'init',
        '--etcd-endpoints',
        `https://127.0.0.1:${proxy.port}`,
        '--safekeepers',
        '1',
        '--port-offset',
        String(randomPortOffset()),
      ],
      { NEON_REPO_DIR: repoDir },
    );
    assert.equal(init.exitCode, 0, init.stderr);
    const etcdStatus = async (env: Record<string, string>) => {
      const status = await runExecutable(['status', '--json'], { NEON_REPO_DIR: repoDir, ...env });
      const document = JSON.parse(status.stdout) as {
        result: { components: { name: string; state: string; detail: string }[] };
      };
      return document.result.components.find((component) => component.name === 'etcd');
    };
    const trusted = await etcdStatus({ NODE_EXTRA_CA_CERTS: ca });
    assert.equal(trusted?.state, 'ready', JSON.stringify(trusted));
    const untrusted = await etcdStatus({});
    assert.equal(untrusted?.state, 'not-responding', JSON.stringify(untrusted));
    assert.match(untrusted?.detail ?? '', /CERT|certificate|SIGNATURE/i);
  },
);
