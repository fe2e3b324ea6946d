import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger, NotFoundException, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Express, Request, Response } from 'express';

import { MethodNotAllowedError } from './domain.error';
import { errorResponse } from './error-response';
import { requestIdOf } from '../http/request-id';
import { allowedMethods } from '../http/route-methods';

/** Nest's side of errorResponse(): every error a route, guard, pipe or middleware throws is answered here. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(thrown: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const requestId = requestIdOf(req, res);
    const { body, error, headers, status } = errorResponse(this.wrongMethod(thrown, req) ?? thrown, requestId);

    if (status >= 500) {
      this.logger.error(
        { err: error, code: body.code, request_id: requestId },
        `${req.method} ${req.path} failed with ${status} ${body.code}`,
      );
    } else if ((res as { log?: unknown }).log) {
      // The request logger (pino-http) writes the request's one line when it completes; it carries these.
      res.locals.apiError = { code: body.code, message: body.message };
    } else if (status !== HttpStatus.NOT_FOUND) {
      this.logger.warn({ code: body.code, request_id: requestId }, `${req.method} ${req.path}: ${body.message}`);
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(status).json(body);
  }

  /** A request that found no route, on a path that has routes for other methods: 405 with Allow, not 404. */
  private wrongMethod(thrown: unknown, req: Request): MethodNotAllowedError | undefined {
    if (!(thrown instanceof NotFoundException) || !/^Cannot [A-Z]+ /.test(thrown.message)) return undefined;
    const app = this.adapterHost?.httpAdapter?.getInstance<Express>();
    const allowed = allowedMethods(app?.router, req.path);
    return allowed.length ? new MethodNotAllowedError(req.method, req.path, allowed) : undefined;
  }
}
