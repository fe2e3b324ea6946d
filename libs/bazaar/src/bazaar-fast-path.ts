import { CanActivate, HttpStatus, Logger, PipeTransform, Type } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { errorResponse, GatewayMetrics, generateRequestId } from '@app/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

import { BazaarController } from './bazaar.controller';
import { BazaarService } from './bazaar.service';
import { BrowseRequestDto } from './dto/browse-request.dto';
import { ViewRequestDto } from './dto/view-request.dto';

/** An Express-style middleware as Express's router calls it: a request handler, or (four arguments) an error one. */
export type Middleware = (...args: never[]) => unknown;

export interface BazaarFastPathOptions {
  /** The very middleware instances Express runs before the routes (helmet, CORS, body parsers, their checks). */
  middleware: Middleware[];
  /** The global guards, in Nest's order (authentication, then the body's media type). */
  guards: CanActivate[];
  /** The global validation pipe. */
  pipe: PipeTransform;
  bazaar: BazaarService;
  metrics: GatewayMetrics;
}

type Handler = 'browse' | 'view';

interface Route {
  handler: Handler;
  dto: Type<unknown>;
  /** The label Express's metrics middleware gives the route (its template). */
  path: string;
}

const ROUTES = new Map<string, Route>([
  ['/api/v1/bazaar/browse', { dto: BrowseRequestDto, handler: 'browse', path: '/api/v1/bazaar/browse' }],
  ['/api/v1/bazaar/view', { dto: ViewRequestDto, handler: 'view', path: '/api/v1/bazaar/view' }],
]);

type FastRequest = IncomingMessage & { body?: unknown; caller?: unknown };

/**
 * POST /api/v1/bazaar/browse and /view, answered ahead of the Express router and Nest's routing, which cost the
 * gateway more CPU than the Bazaar call itself (bench/bazaar.bench.js). Everything else of the regular route is
 * the same code: the middleware instances Express runs first (security headers, CORS, body parsing and its
 * limits), the global guards (API key or JWT, roles, media type), the global validation pipe on the same DTO,
 * the same BazaarService call, errorResponse() for every failure, the route's Cache-Control, the HTTP metric.
 * Only the plain shape comes here: a request with a query, an Origin, X-Forwarded-For, no Content-Length, a
 * non-JSON or encoded body, another method or any other path goes to Express untouched; so do all requests when
 * tracing is on (configure-app.ts), so traces keep Express's and Nest's spans. The one difference: no access-log line for
 * a success (as on the postback fast path); each failure is logged once.
 */
export class BazaarFastPath {
  private readonly logger = new Logger('BazaarFastPath');

  constructor(private readonly options: BazaarFastPathOptions) {}

  /** Puts the fast path in front of the server's current request listeners (Express, or another fast path). */
  installOn(server: Server): void {
    const listeners = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const route = this.routeOf(req);
      if (route) void this.serve(req, res, route);
      else listeners.forEach((listener) => listener.call(server, req, res));
    });
  }

  /** The route this request takes on the fast path, or undefined to leave it to Express. */
  routeOf(req: IncomingMessage): Route | undefined {
    if (req.method !== 'POST') return undefined;
    const route = ROUTES.get(req.url ?? '');
    if (!route) return undefined;
    const { headers } = req;
    if (headers.origin !== undefined || headers['x-forwarded-for'] !== undefined) return undefined;
    if (headers['transfer-encoding'] !== undefined || headers['content-length'] === undefined) return undefined;
    const encoding = headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return undefined;
    return isPlainJson(headers['content-type']) ? route : undefined;
  }

  private async serve(req: FastRequest, res: ServerResponse, route: Route): Promise<void> {
    const started = performance.now();
    // As the request logger (pino-http) does for every request on the regular route.
    const requestId = generateRequestId(req, res);
    req.id = requestId;
    res.once('close', () =>
      this.options.metrics.observeHttp('POST', route.path, res.writableFinished ? res.statusCode : 'aborted', started),
    );
    try {
      await this.runMiddleware(req, res);
      if (res.headersSent) return;
      const context = new ExecutionContextHost(
        [req, res, undefined],
        BazaarController,
        BazaarController.prototype[route.handler],
      );
      for (const guard of this.options.guards) await guard.canActivate(context);
      // As Nest does once the guards pass: the route's status and headers, then the pipes and the handler.
      res.statusCode = HttpStatus.OK;
      res.setHeader('Cache-Control', 'no-store');
      const dto = await this.options.pipe.transform(req.body, { data: undefined, metatype: route.dto, type: 'body' });
      const result = await (this.options.bazaar[route.handler] as (caller: unknown, dto: unknown) => Promise<unknown>)(
        req.caller,
        dto,
      );
      send(res, HttpStatus.OK, result);
    } catch (error) {
      this.fail(res, route, error, requestId);
    }
  }

  /** Runs the middleware as Express's router does: an error skips to the next error handler. */
  private runMiddleware(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chain = this.options.middleware;
    return new Promise((resolve, reject) => {
      let index = 0;
      const next = (error?: unknown): void => {
        while (index < chain.length) {
          const fn = chain[index++] as (...args: unknown[]) => unknown;
          const handlesErrors = fn.length === 4;
          if (error !== undefined ? !handlesErrors : handlesErrors) continue;
          try {
            if (error !== undefined) fn(error, req, res, next);
            else fn(req, res, next);
          } catch (thrown) {
            next(thrown);
          }
          return;
        }
        if (error !== undefined) reject(error);
        else resolve();
      };
      next();
    });
  }

  private fail(res: ServerResponse, route: Route, thrown: unknown, requestId: string): void {
    const { body, error, headers, status } = errorResponse(thrown, requestId);
    if (status >= 500) {
      this.logger.error(
        { code: body.code, err: error, request_id: requestId },
        `POST ${route.path} failed with ${status} ${body.code}`,
      );
    } else {
      this.logger.warn(
        { code: body.code, request_id: requestId },
        `POST ${route.path} ${status} ${body.code}: ${body.message}`,
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    send(res, status, body);
  }
}

/** `application/json`, without parameters or with `charset=utf-8` only: anything else goes the regular route. */
function isPlainJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const value = contentType.toLowerCase().replace(/\s+/g, '');
  return value === 'application/json' || value === 'application/json;charset=utf-8';
}

/** What Express's `res.status(status).json(body)` writes (no ETag: the app disables it). */
function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}
