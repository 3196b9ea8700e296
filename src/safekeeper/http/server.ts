// The HTTP admin API: GET /v1/status ({"id":N}, the readiness probe) and GET /metrics. Every
// error is JSON {"error":{"code","message"}} with a proper status; a handler that throws gets a
// 500 and the daemon keeps serving.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { SafekeeperMetrics } from './metrics.js';

export interface HttpContext {
  readonly nodeId: number;
  readonly metrics: SafekeeperMetrics;
  readonly log: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse, context: HttpContext) => Promise<void>;

interface Route {
  readonly method: string;
  readonly path: string;
  readonly handler: Handler;
}

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

const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/status',
    handler: (_req, res, context) => Promise.resolve(sendJson(res, 200, { id: context.nodeId })),
  },
  {
    method: 'GET',
    path: '/metrics',
    handler: async (_req, res, context) => {
      const text = await context.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': context.metrics.registry.contentType });
      res.end(text);
    },
  },
];

async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  context: HttpContext,
): Promise<string> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const matching = ROUTES.filter((route) => route.path === path);
  const route = matching.find((candidate) => candidate.method === req.method);
  if (route === undefined) {
    if (matching.length > 0) {
      res.setHeader('allow', matching.map((candidate) => candidate.method).join(', '));
      sendError(res, 405, 'method-not-allowed', `${req.method ?? '?'} is not allowed on ${path}`);
      return path;
    }
    sendError(res, 404, 'not-found', `no route ${req.method ?? '?'} ${path}`);
    return 'unmatched';
  }
  await route.handler(req, res, context);
  return route.path;
}

export function createHttpServer(context: HttpContext): Server {
  return createServer((req, res) => {
    dispatch(req, res, context)
      .catch((error: unknown) => {
        context.log.error(
          { err: describeError(error), method: req.method, url: req.url },
          'HTTP handler failed',
        );
        if (!res.headersSent) sendError(res, 500, 'internal', describeError(error));
        else res.destroy();
        return 'error';
      })
      .then((route) =>
        context.metrics.httpRequests.inc({
          method: req.method ?? '?',
          route,
          status: String(res.statusCode),
        }),
      )
      .catch(() => undefined);
  });
}
