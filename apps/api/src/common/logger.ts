import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger, LoggerOptions } from 'pino';

/**
 * Human-readable logs (pino-pretty) when a person watches the terminal in development; JSON
 * lines otherwise (production, files, pipes, log collectors).
 */
export function wantsPrettyLogs(
  env: NodeJS.ProcessEnv = process.env,
  stdout: { isTTY?: boolean } = process.stdout,
): boolean {
  return stdout.isTTY === true && env.NODE_ENV !== 'production';
}

/** pino-pretty as a synchronous stream, or undefined where it is not installed (`npm ci --omit=dev`). */
function prettyStream(destination?: NodeJS.WritableStream): DestinationStream | undefined {
  try {
    // Loaded only here: production never needs it, and an install without dev packages still logs JSON.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional at run time: a static import would make it required
    const pretty = require('pino-pretty') as (o: object) => DestinationStream;
    return pretty({
      colorize: destination === undefined,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
      destination,
    });
  } catch {
    return undefined;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** LOG_LEVEL (default info); any other value than pino's levels throws, naming the variable. */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.LOG_LEVEL;
  if (v === undefined || v === '') return 'info';
  if (!LOG_LEVELS.includes(v))
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Structured logs on stdout (or `destination`): JSON lines, or pretty lines in a development
 * terminal (see wantsPrettyLogs).
 */
export function createLogger(
  level = logLevelFromEnv(),
  pretty = wantsPrettyLogs(),
  destination?: NodeJS.WritableStream,
): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'pflex-api' },
    redact: ['req.headers.authorization', 'headers.authorization'],
  };
  const stream = (pretty ? prettyStream(destination) : undefined) ?? destination;
  return stream ? pino(options, stream) : pino(options);
}

/** Routes Nest's own logging into pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string) {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    // Nest's ExceptionHandler reports a failed start that it then throws (abortOnError: false) to
    // main.ts, which says it once, in one line: here it is only a debug line
    if (context === 'ExceptionHandler') this.pino.debug({ context, trace }, String(message));
    else this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}
