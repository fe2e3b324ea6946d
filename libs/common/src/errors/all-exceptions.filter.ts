import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

import { errorResponse } from './error-response';
import { requestIdOf } from '../http/request-id';

/** Nest's side of errorResponse(): every error a route, guard, pipe or middleware throws is answered here. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(thrown: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const requestId = requestIdOf(req, res);
    const { body, error, headers, status } = errorResponse(thrown, requestId);

    if (status >= 500) {
      this.logger.error(
        { err: error, code: body.code, request_id: requestId },
        `${req.method} ${req.path} failed with ${status} ${body.code}`,
      );
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
}
