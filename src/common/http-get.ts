// A bounded HTTP(S) GET (or JSON POST) for short requests of our own (the pageserver's discovery,
// inspect's question to etcd's JSON gateway): node:http and node:https instead of fetch(), whose
// first call loads undici, about 20 ms of CPU that a daemon would spend while the rest of the
// cluster starts. Rejects with a message naming the URL.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { describeError } from './errors.js';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export interface HttpGetOptions {
  readonly timeoutMs: number;
  /** A longer body rejects the answer. */
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

function readBody(response: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    response.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) response.destroy(new Error(`answer exceeds ${maxBytes} bytes`));
      else chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('answer cut short')));
  });
}

/** GET `url` on a connection of its own; resolves with any status, rejects when no full answer. */
export function httpGet(url: string, options: HttpGetOptions): Promise<HttpAnswer> {
  return httpCall('GET', url, undefined, options);
}

/** POST `body` (JSON) to `url`, as httpGet otherwise. */
export function httpPostJson(
  url: string,
  body: unknown,
  options: HttpGetOptions,
): Promise<HttpAnswer> {
  return httpCall('POST', url, JSON.stringify(body), options);
}

async function httpCall(
  method: 'GET' | 'POST',
  url: string,
  body: string | undefined,
  options: HttpGetOptions,
): Promise<HttpAnswer> {
  const request = url.startsWith('https:')
    ? (await import('./https-request.js')).httpsRequest
    : httpRequest;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal =
    options.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
  const headers =
    body === undefined
      ? {}
      : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, signal }, (response) => {
      readBody(response, options.maxBytes).then(
        (text) => resolve({ status: response.statusCode ?? 0, body: text }),
        reject,
      );
    });
    req.on('error', reject);
    req.end(body);
  }).catch((error: unknown) => {
    const reason = timeout.aborted
      ? `no answer within ${options.timeoutMs}ms`
      : describeError(error);
    throw new Error(`${method} ${url} failed: ${reason}`, { cause: error });
  });
}
