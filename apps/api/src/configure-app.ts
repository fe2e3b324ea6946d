import { BEARER_SCHEME_DESCRIPTION } from '@app/auth';
import {
  ApiErrorDto,
  BODY_LIMIT_BYTES,
  GatewayMetrics,
  TunnelService,
  bodyTooDeep,
  errorBody,
  httpMetricsMiddleware,
  parsedBodyTooDeep,
} from '@app/common';
import { AppConfigService } from '@app/config';
import { PostbackFastPathMiddleware, TrustProxy } from '@app/webhook';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

import { AppModule, AppModuleOptions } from './app.module';

/** Builds the gateway exactly as production runs it; `main.ts` and the e2e helper both call this. */
export async function createGatewayApp(options: AppModuleOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    abortOnError: false,
    // Nest's lines before the logger is set stay buffered; a start that fails prints nothing of them, only the
    // one line main() writes (with the stack at LOG_LEVEL=debug).
    autoFlushLogs: false,
    bufferLogs: true,
    rawBody: true,
  });
  configureApp(app);
  try {
    // Before the first request, so every callback and postback URL is built on the tunnel's URL.
    await app.get(TunnelService).open();
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

export function configureApp(app: NestExpressApplication): void {
  const config = app.get(AppConfigService);
  app.useLogger(app.get(Logger));
  app.flushLogs();
  // TRUST_PROXY (default loopback: a local proxy or the tunnel agent) may name the client in X-Forwarded-For.
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  // First, so every answer counts, including helmet's, body-parser's and the guards' refusals.
  app.use(httpMetricsMiddleware(app.get(GatewayMetrics)));
  // SCORM Cloud's v2 JSON postbacks are answered ahead of Express and the stack below (see libs/webhook).
  app
    .get(PostbackFastPathMiddleware)
    .installOn(app.getHttpServer(), app.getHttpAdapter().getInstance().get('trust proxy fn') as TrustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Swagger UI at /docs needs inline styles; everything else is same-origin only.
          'img-src': ["'self'", 'data:', 'https:'],
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
        },
      },
    }),
  );
  app.enableCors({
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
    methods: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'],
    origin: config.http.corsOrigins,
  });
  // Raw bytes are kept (req.rawBody) for signature checks; parsed copies feed validation.
  app.useBodyParser('json', { limit: BODY_LIMIT_BYTES, type: ['application/json', 'application/*+json'] });
  app.useBodyParser('urlencoded', { extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: 200 });
  app.useBodyParser('text', { limit: BODY_LIMIT_BYTES, type: ['application/xml', 'text/xml', 'text/plain'] });
  app.use(keepBodyParserErrorType);
  app.use(refuseDeepBodies);
  app.getHttpServer().on('clientError', answerClientError);
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

/**
 * Nest turns body-parser's SyntaxError into a bare BadRequestException; re-throw it as a plain error that
 * keeps body-parser's `type`, so the exception filter can answer MALFORMED_BODY.
 */
function keepBodyParserErrorType(error: unknown, _req: Request, _res: Response, next: NextFunction): void {
  if (error instanceof SyntaxError && typeof (error as { type?: unknown }).type === 'string') {
    const { status, type } = error as SyntaxError & { status: number; type: string };
    next(Object.assign(new Error('The request body is malformed'), { status, type }));
    return;
  }
  next(error);
}

function refuseDeepBodies(req: Request, _res: Response, next: NextFunction): void {
  next(parsedBodyTooDeep(req.body) ? bodyTooDeep() : undefined);
}

/**
 * Node's HTTP parser refuses an over-long header block (431) or a broken request line (400) before any
 * middleware runs, and by default answers with an empty body; answer those in the error shape too.
 */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request was not received in time'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'PAYLOAD_TOO_LARGE', 'The request chunk extensions are larger than allowed'],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers are larger than allowed'],
};

function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [statusCode, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? [
    400,
    'MALFORMED_REQUEST',
    'The request is not valid HTTP',
  ];
  const body = JSON.stringify(errorBody(statusCode, code, message, randomUUID()));
  socket.end(
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function buildOpenApiDocument(app: NestExpressApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('LMS Gateway')
      .setDescription(
        'REST API between an LMS, the Bazaar learning-material store and SCORM Cloud. Authenticate with ' +
          '`Authorization: Bearer <API key or LMS user JWT>`. Every error answers the ApiError shape.',
      )
      .setVersion('1.0')
      .addBearerAuth({
        bearerFormat: 'API key or HS256 JWT',
        description: BEARER_SCHEME_DESCRIPTION,
        scheme: 'bearer',
        type: 'http',
      })
      .addBasicAuth({ description: 'SCORM Cloud postback credentials', scheme: 'basic', type: 'http' }, 'webhook')
      .addSecurityRequirements('bearer')
      .build(),
    { extraModels: [ApiErrorDto] },
  );
  return withErrorResponses(document);
}

/** Every operation can fail with the common error body; say so once here instead of on each handler. */
function withErrorResponses(document: OpenAPIObject): OpenAPIObject {
  const errorResponse = {
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiErrorDto' } } },
    description: 'Error (ApiError shape)',
  };
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path)) {
      if (!operation || typeof operation !== 'object' || !('responses' in operation)) continue;
      const responses = operation.responses as Record<string, unknown>;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400 && response && typeof response === 'object' && !('content' in response)) {
          responses[status] = { ...errorResponse, ...(response as object), content: errorResponse.content };
        }
      }
      responses['4XX'] ??= { ...errorResponse, description: 'Client error (ApiError shape)' };
      responses['5XX'] ??= { ...errorResponse, description: 'Server or upstream error (ApiError shape)' };
    }
  }
  return document;
}
