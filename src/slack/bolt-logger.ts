import { type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Logger } from 'pino';

/** Routes Bolt's own logging into our structured logger. */
export function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => logger.debug({ bolt: true }, msg.map(String).join(' ')),
    info: (...msg: unknown[]) => logger.info({ bolt: true }, msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => logger.warn({ bolt: true }, msg.map(String).join(' ')),
    error: (...msg: unknown[]) => logger.error({ bolt: true }, msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
