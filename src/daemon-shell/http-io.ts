// Request and response plumbing of the admin API: JSON answers, JSON errors
// {"error":{"code","message"}} (statuses from common/http-errors.ts), and bounded JSON
// body reading (a body over the limit or not JSON is a 400, never a crash).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../common/errors.js';

const REQUEST_BODY_MAX_BYTES = 64 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
): void {
  sendJson(res, status, { error: { code, message } });
}

export function badRequest(message: string): AppError {
  return new AppError('usage', message);
}

/** Reads the whole body; refuses more than REQUEST_BODY_MAX_BYTES. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > REQUEST_BODY_MAX_BYTES)
      throw badRequest(`request body exceeds ${REQUEST_BODY_MAX_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body as a JSON object; 400 when it is missing, malformed or not an object. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw badRequest(`failed to parse json request: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('failed to parse json request: expected a JSON object');
  return value as Record<string, unknown>;
}

/** DELETE and GET take no body. */
export async function refuseBody(req: IncomingMessage): Promise<void> {
  const body = await readBody(req);
  if (body.length > 0) throw badRequest(`unexpected body on ${req.method ?? '?'}`);
}
