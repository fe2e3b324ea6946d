import type { LoggerService } from '@nestjs/common';
import pino from 'pino';

/** Nest's start-up chatter (a line per module and per route) is debug, as in the gateway. */
const START_UP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * The sandbox logs as the gateway does: pino JSON lines on stdout (`level`, `time`, `context`, `msg`), never
 * colour codes, so `npm start` shows both apps the same way and a log file holds plain JSON. Its own copy of
 * the idea: the sandbox imports no gateway library.
 */
export class SandboxLogger implements LoggerService {
  private readonly logger = pino({ level: 'info' });

  log(message: unknown, ...rest: unknown[]): void {
    const context = contextOf(rest);
    if (context && START_UP_CONTEXTS.has(context)) this.write('debug', message, rest);
    else this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = contextOf(rest);
    // Nest passes an error's stack as the argument before the context.
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) this.logger[level]({ context, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message });
    else this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
  }
}

function contextOf(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? last : undefined;
}
