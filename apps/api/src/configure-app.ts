import { ApiKeyRegistry, AuthFailureLimiter, AuthGuard, BEARER_SCHEME_DESCRIPTION, LmsJwtVerifier } from '@app/auth';
import { BazaarFastPath, BazaarService, Middleware } from '@app/bazaar';
import {
  ApiErrorDto,
  BODY_LIMIT_BYTES,
  ContentTypeGuard,
  ErrorBody,
  ErrorCode,
  GatewayMetrics,
  TunnelService,
  bodyTooDeep,
  createValidationPipe,
  errorBody,
  httpMetricsMiddleware,
  parsedBodyTooDeep,
} from '@app/common';
import { AppConfigService } from '@app/config';
import { PostbackFastPathMiddleware, TrustProxy } from '@app/webhook';
import { NestFactory, Reflector } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

import { AppModule, AppModuleOptions } from './app.module';
import { withValidationConstraints } from './openapi/validation-constraints';

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
  // API answers are fresh every time (one-time URLs, live progress): hashing each body for an ETag is wasted work.
  app.set('etag', false);
  // First, so every answer counts, including helmet's, body-parser's and the guards' refusals.
  app.use(httpMetricsMiddleware(app.get(GatewayMetrics)));
  // SCORM Cloud's v2 JSON postbacks are answered ahead of Express and the stack below (see libs/webhook).
  app
    .get(PostbackFastPathMiddleware)
    .installOn(app.getHttpServer(), app.getHttpAdapter().getInstance().get('trust proxy fn') as TrustProxy);
  // Everything Express runs before the routes, from here to refuseDeepBodies, the Bazaar fast path runs too.
  const router = (app.getHttpAdapter().getInstance() as unknown as { router: { stack: { handle: Middleware }[] } })
    .router;
  const preludeStart = router.stack.length;
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
  // Bazaar browse and view ahead of the router too (see libs/bazaar), unless traces should show Express and Nest.
  if (!config.tracing.endpoint) {
    const reflector = app.get(Reflector);
    new BazaarFastPath({
      bazaar: app.get(BazaarService),
      guards: [
        new AuthGuard(reflector, app.get(ApiKeyRegistry), app.get(LmsJwtVerifier), app.get(AuthFailureLimiter)),
        new ContentTypeGuard(reflector),
      ],
      metrics: app.get(GatewayMetrics),
      middleware: router.stack.slice(preludeStart).map((layer) => layer.handle),
      pipe: createValidationPipe(),
    }).installOn(app.getHttpServer());
  }
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
const CLIENT_ERRORS: Record<string, [number, ErrorCode, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request was not received in time'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'PAYLOAD_TOO_LARGE', 'The request chunk extensions are larger than allowed'],
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request headers are larger than allowed'],
};

function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [statusCode, code, message]: [number, ErrorCode, string] = CLIENT_ERRORS[error.code ?? ''] ?? [
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
  return withErrorResponses(withValidationConstraints(document));
}

/** An error body as the gateway sends it, for the document's examples. */
function errorExample(status: number, code: ErrorCode, message: string): ErrorBody {
  return errorBody(status, code, message, '2b4f7a0e-5d1c-4a4e-9f77-3c0f3f1f8a11');
}

const CLIENT_ERROR_EXAMPLE = {
  ...errorExample(400, 'VALIDATION_FAILED', 'course_id must be shorter than or equal to 255 characters'),
  details: { course_id: ['course_id must be shorter than or equal to 255 characters'] },
};

const DATABASE_DOWN_EXAMPLE = errorExample(
  503,
  'DATABASE_UNAVAILABLE',
  'The gateway cannot reach its database; nothing was stored or changed. Try again shortly.',
);
const SERVER_ERROR = {
  description:
    'Server or upstream error (ApiError shape): 502 or 504 naming the upstream (BAZAAR_*, SCORM_CLOUD_*), 503 ' +
    'DATABASE_UNAVAILABLE (Retry-After), 500 INTERNAL_ERROR (a bug; quote request_id)',
  example: errorExample(
    500,
    'INTERNAL_ERROR',
    'Internal server error; quote request id 2b4f7a0e-5d1c-4a4e-9f77-3c0f3f1f8a11 when reporting it',
  ),
};

/** The code an explicitly documented status most often carries, for its example. */
const STATUS_EXAMPLES: Record<number, [ErrorCode, string]> = {
  401: ['TOKEN_INVALID', 'The bearer token is not a valid API key or LMS token'],
  403: ['ROLE_FORBIDDEN', 'Only a teacher or an admin may add Bazaar material to a course'],
  404: ['REGISTRATION_NOT_FOUND', 'No registration reg-123'],
  409: ['REGISTRATION_EXISTS', 'Registration reg-123 already exists'],
  410: ['REGISTRATION_DELETED_UPSTREAM', 'SCORM Cloud no longer has registration reg-123'],
  413: ['PAYLOAD_TOO_LARGE', 'The course zip is larger than allowed'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be multipart/form-data (the request sent text/plain)'],
  503: ['DATABASE_UNAVAILABLE', DATABASE_DOWN_EXAMPLE.message],
};

type Operation = { responses?: Record<string, unknown>; security?: Record<string, string[]>[] };

/**
 * What the decorators cannot say: every operation can fail with the common error body (an example of the right
 * class for each status), and a public route (`@Public()`) asks for its own scheme only, or none.
 */
function withErrorResponses(document: OpenAPIObject): OpenAPIObject {
  const content = (example: ErrorBody) => ({
    'application/json': { example, schema: { $ref: '#/components/schemas/ApiErrorDto' } },
  });
  for (const path of Object.values(document.paths)) {
    for (const operation of Object.values(path) as Operation[]) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      operation.security &&= publicRouteSecurity(operation.security);
      const responses = operation.responses;
      for (const [status, response] of Object.entries(responses)) {
        const code = Number(status);
        if (code >= 400 && response && typeof response === 'object' && !('content' in response)) {
          const [exampleCode, message] = STATUS_EXAMPLES[code] ?? ['BAD_REQUEST', STATUS_CODES[code] ?? 'Error'];
          responses[status] = {
            description: 'Error (ApiError shape)',
            ...(response as object),
            content: content(errorExample(code, exampleCode, message)),
          };
        }
      }
      responses['4XX'] ??= { content: content(CLIENT_ERROR_EXAMPLE), description: 'Client error (ApiError shape)' };
      responses['5XX'] ??= { content: content(SERVER_ERROR.example), description: SERVER_ERROR.description };
    }
  }
  return document;
}

/** Drops the public marker and repeats: `[]` (no lock) for a public route, `[{webhook: []}]` for the postbacks. */
function publicRouteSecurity(security: Record<string, string[]>[]): Record<string, string[]>[] {
  const seen = new Set<string>();
  return security.filter((requirement) => {
    const key = JSON.stringify(requirement);
    if (!Object.keys(requirement).length || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
