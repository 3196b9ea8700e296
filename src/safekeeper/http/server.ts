// The HTTP admin API server: matches a route (literal segments and :params), runs its handler,
// and turns every thrown error into JSON {"error":{"code","message"}} with a proper status. A
// handler that fails never takes the daemon down; each request is counted by route and status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describeError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import type { TimelineRegistry } from '../timeline/timeline-registry.js';
import { httpErrorOf } from '../../common/http-errors.js';
import { sendError, sendJson } from './http-io.js';
import type { SafekeeperMetrics } from './metrics.js';
import { TIMELINE_ROUTES } from './timeline-routes.js';

export interface HttpContext {
  readonly nodeId: number;
  readonly metrics: SafekeeperMetrics;
  readonly timelines: TimelineRegistry;
  readonly log: Logger;
}

export type RouteParams = Readonly<Record<string, string>>;

export interface Route {
  readonly method: string;
  /** Segments starting with ':' match any one path segment. */
  readonly path: string;
  readonly handler: (
    req: IncomingMessage,
    res: ServerResponse,
    context: HttpContext,
    params: RouteParams,
  ) => Promise<void>;
}

const BASE_ROUTES: readonly Route[] = [
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

const ROUTES: readonly Route[] = [...BASE_ROUTES, ...TIMELINE_ROUTES];

function matchPath(pattern: string, path: string): RouteParams | undefined {
  const patternParts = pattern.split('/');
  const pathParts = path.split('/');
  if (patternParts.length !== pathParts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = pathParts[index] ?? '';
    if (part.startsWith(':')) {
      if (actual === '') return undefined;
      params[part.slice(1)] = decodeURIComponentSafe(actual);
    } else if (part !== actual) return undefined;
  }
  return params;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  context: HttpContext,
): Promise<string> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const matching = ROUTES.flatMap((route) => {
    const params = matchPath(route.path, path);
    return params === undefined ? [] : [{ route, params }];
  });
  const found = matching.find((candidate) => candidate.route.method === req.method);
  if (found === undefined) {
    if (matching.length > 0) {
      res.setHeader('allow', matching.map((candidate) => candidate.route.method).join(', '));
      sendError(res, 405, 'method-not-allowed', `${req.method ?? '?'} is not allowed on ${path}`);
      return matching[0]?.route.path ?? path;
    }
    sendError(res, 404, 'not-found', `no route ${req.method ?? '?'} ${path}`);
    return 'unmatched';
  }
  await found.route.handler(req, res, context, found.params);
  return found.route.path;
}

export function createHttpServer(context: HttpContext): Server {
  return createServer((req, res) => {
    dispatch(req, res, context)
      .catch((error: unknown) => {
        const { status, code } = httpErrorOf(error);
        const details = { err: describeError(error), method: req.method, url: req.url };
        // A broken timeline was logged as an error when it was loaded; repeating it per request
        // would drown the log.
        if (code === 'integrity') context.log.warn(details, 'request hit a broken timeline');
        else if (status >= 500) context.log.error(details, 'HTTP handler failed');
        if (!res.headersSent) sendError(res, status, code, describeError(error));
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
