import winston from 'winston';

/** The structured logger of the shell: one JSON object per line (`level`, `message`, `timestamp`, fields). */
export type Logger = winston.Logger;

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Fields on every line, e.g. `{ component: 'controller' }`. */
  readonly defaultMeta?: Readonly<Record<string, string>>;
  /** Write nothing (tests, `--quiet`). */
  readonly silent?: boolean;
  /** Applied to every finished line: scrubs known secret values (autoscaler/redact.ts). */
  readonly redact?: (line: string) => string;
}

// winston keeps the finished line under this symbol (triple-beam's MESSAGE).
const MESSAGE = Symbol.for('message');

/** Runs `redact` over the JSON line winston is about to write. */
const redactLine = winston.format((info, redact: unknown) => {
  const line = (info as Record<symbol, unknown>)[MESSAGE];
  if (typeof line === 'string' && typeof redact === 'function') {
    (info as Record<symbol, unknown>)[MESSAGE] = (redact as (text: string) => string)(line);
  }
  return info;
});

/** A winston logger writing JSON lines to stdout; fields such as `service`, `decision`, `reason` go beside `message`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    defaultMeta: options.defaultMeta,
    silent: options.silent ?? false,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.errors({ stack: false }),
      winston.format.json(),
      ...(options.redact === undefined ? [] : [redactLine(options.redact)]),
    ),
    transports: [new winston.transports.Console({ stderrLevels: [], consoleWarnLevels: [] })],
  });
}

/** The level named by `LOG_LEVEL` (error, warn, info, debug), or `info`; anything else is an error naming it. */
export function logLevelFromEnv(value: string | undefined): LogLevel {
  if (value === undefined || value === '') return 'info';
  const level = value.toLowerCase();
  if (level === 'error' || level === 'warn' || level === 'info' || level === 'debug') return level;
  throw new Error(`LOG_LEVEL = ${JSON.stringify(value)}: must be one of error, warn, info, debug`);
}
