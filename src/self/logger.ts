// The agent's own log: pino, JSON by default (what journald and log shippers want), human-readable on a TTY.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'auto' | 'json' | 'pretty';
export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export function createLogger(options: { level: LogLevelName; format: LogFormat }): Logger {
  const usePretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  const base = { level: options.level, base: { pid: process.pid } };
  // pino-pretty as an in-thread stream rather than a worker transport: one thread less, a few MB less RSS.
  return usePretty ? pino(base, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })) : pino(base);
}
