// A daemon's HTTP admin server: matches a route (literal segments and :params), runs its
// handler, and turns every thrown error into JSON {"error":{"code","message"}} with the status of
// common/http-errors.ts. A failing handler never takes the daemon down; every answered request
// is reported (method, matched route, status) for the daemon's metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describeError } from '../common/errors.js';
import { httpErrorOf } from '../common/http-errors.js';
import type { Logger } from '../common/log.js';
import { sendError } from './http-io.js';

export type RouteParams = Readonly<Record<string, string>>;

export interface Route<Context> {
  readonly method: string;
  /** Segments starting with ':' match any one path segment. */
  readonly path: string;
  readonly handler: (
    req: IncomingMessage,
    res: ServerResponse,
    context: Context,
    params: RouteParams,
  ) => Promise<void>;
}

export interface HttpRouterOptions<Context> {
  readonly routes: readonly Route<Context>[];
  readonly context: Context;
  readonly log: Logger;
  /** Called once per request after it was answered; `route` is the matched pattern. */
  readonly onAnswered?: (method: string, route: string, status: number) => void;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

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

async function dispatch<Context>(
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpRouterOptions<Context>,
): Promise<string> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const matching = options.routes.flatMap((route) => {
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
  await found.route.handler(req, res, options.context, found.params);
  return found.route.path;
}

export function createHttpRouter<Context>(options: HttpRouterOptions<Context>): Server {
  return createServer((req, res) => {
    dispatch(req, res, options)
      .catch((error: unknown) => {
        const { status, code } = httpErrorOf(error);
        const details = { err: describeError(error), method: req.method, url: req.url };
        // A broken timeline was logged as an error when it was loaded; repeating it per request
        // would drown the log.
        if (code === 'integrity') options.log.warn(details, 'request hit a broken timeline');
        else if (status >= 500) options.log.error(details, 'HTTP handler failed');
        if (!res.headersSent) sendError(res, status, code, describeError(error));
        else res.destroy();
        return 'error';
      })
      .then((route) => options.onAnswered?.(req.method ?? '?', route, res.statusCode))
      .catch(() => undefined);
  });
}
