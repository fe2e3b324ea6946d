import { AppConfigService } from '@app/config';
import { Global, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import pino, { DestinationStream } from 'pino';
import type { Options } from 'pino-http';

import { generateRequestId } from '../http/request-id';

/** Query parameters that carry secrets or single-use values; their values never reach a log line. */
const SECRET_QUERY_KEYS = /^(state|token|password|pass|urlpass|sig|secret|key|code|access_token)$/i;

export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = new URLSearchParams(url.slice(at + 1));
  for (const key of [...params.keys()]) if (SECRET_QUERY_KEYS.test(key)) params.set(key, '[Redacted]');
  return `${url.slice(0, at)}?${params.toString()}`;
}

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.authentication',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.secretKey',
  '*.secret_key',
  '*.token',
  '*.authtoken',
  '*.apiKey',
  '*.privateKey',
];

/**
 * Nest's start-up chatter: a line per module initialised and per route mapped (about 115 lines) says nothing an
 * operator acts on; it is logged at debug level instead of info.
 */
const START_UP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** What the exception filter leaves on `res.locals` for the request's one log line (see AllExceptionsFilter). */
export interface LoggedApiError {
  code: string;
  message: string;
}

type LoggedResponse = ServerResponse & { locals?: { apiError?: LoggedApiError } };

function apiErrorOf(res: ServerResponse): LoggedApiError | undefined {
  return (res as LoggedResponse).locals?.apiError;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const at = url.indexOf('?');
  return at < 0 ? url : url.slice(0, at);
}

/** Synchronous file writes, so every line is on disk even when the process is killed. */
function withDestination(file: string | undefined, options: Options): Options | [Options, DestinationStream] {
  return file ? [options, pino.destination({ dest: file, mkdir: true, sync: true })] : options;
}

/** Structured JSON logs with the request id on every line and secrets redacted. */
@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfigService],
      useFactory: (config: AppConfigService) => ({
        pinoHttp: withDestination(config.log.file, {
          autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
          customLogLevel: (_req, res, err) =>
            err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
          // One line per request: a refused request's code and message join its completion line.
          customSuccessMessage: (req, res) => {
            const error = apiErrorOf(res);
            return error
              ? `${req.method} ${pathOf(req)} ${res.statusCode} ${error.code}: ${error.message}`
              : 'request completed';
          },
          customSuccessObject: (_req, res, value: object) => {
            const error = apiErrorOf(res);
            return error ? { ...value, code: error.code } : value;
          },
          genReqId: generateRequestId,
          hooks: {
            logMethod(this: pino.Logger, args: unknown[], method: (...a: unknown[]) => void, level: number) {
              const first = args[0] as { context?: unknown } | undefined;
              const context = typeof first === 'object' && first ? first.context : undefined;
              if (level === 30 && typeof context === 'string' && START_UP_CONTEXTS.has(context)) {
                if (this.isLevelEnabled('debug')) this.debug(...(args as [object, string]));
                return;
              }
              // app.listen() logs its listen error before main() prints it once, naming PORT.
              if (
                context === 'NestApplication' &&
                typeof args[1] === 'string' &&
                args[1].startsWith('Error: listen ')
              ) {
                return;
              }
              method.apply(this, args);
            },
          },
          level: config.log.level,
          redact: { censor: '[Redacted]', paths: REDACTED_PATHS },
          serializers: {
            req: (req: IncomingMessage & { id: unknown; originalUrl?: string }) => ({
              id: req.id,
              method: req.method,
              remoteAddress: req.socket?.remoteAddress,
              url: redactUrl(req.originalUrl ?? req.url),
            }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
          // The serializers above read the four fields they log straight from the request: pino-std-serializers'
          // wrapper would first copy every header and field of every request (the bench's hot path) to give them.
          wrapSerializers: false,
        }),
      }),
    }),
  ],
})
export class LoggingModule {}
