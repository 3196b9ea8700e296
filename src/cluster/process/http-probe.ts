// A bounded HTTP(S) GET for readiness and health checks. Never throws: it reports what happened.
import { request as httpRequest } from 'node:http';

export type ProbeResult =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | {
      readonly ok: false;
      readonly status?: number;
      readonly body?: string;
      readonly reason: string;
    };

const PROBE_BODY_LIMIT_BYTES = 64 * 1024;

export async function probeHttp(
  url: string,
  timeoutMs: number,
  method = 'GET',
): Promise<ProbeResult> {
  const request = url.startsWith('https:')
    ? (await import('../../common/https-request.js')).httpsRequest
    : httpRequest;
  return new Promise((resolve) => {
    const req = request(url, { method, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < PROBE_BODY_LIMIT_BYTES) body += chunk;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve({ ok: true, status, body });
        else resolve({ ok: false, status, body, reason: `HTTP ${status}` });
      });
      res.on('error', (error) => resolve({ ok: false, reason: error.message }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, reason: `no answer within ${timeoutMs}ms` });
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, reason: error.code ?? error.message }),
    );
    req.end();
  });
}
