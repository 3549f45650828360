// The agent's own log: pino, JSON by default (what journald and log shippers want), human-readable on a TTY.
import pino, { type Logger } from 'pino';

export type LogFormat = 'auto' | 'json' | 'pretty';
export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  level: LogLevelName;
  format: LogFormat;
  /** 1 = stdout (the daemon's log), 2 = stderr (the CLI's messages, so stdout stays clean for output). */
  fd?: 1 | 2;
}

export function createLogger(options: LoggerOptions): Logger {
  const fd = options.fd ?? 1;
  const tty = (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && tty);
  const base = { level: options.level, base: { pid: process.pid } };
  if (!usePretty) return pino(base, pino.destination(fd));
  // pino-pretty as an in-thread stream rather than a worker transport: one thread less, a few MB less RSS. Loaded
  // only here: with its dependencies it costs ~2 MB of RSS that a daemon writing JSON never needs.
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pino(base, pretty({ destination: fd, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
