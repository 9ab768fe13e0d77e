import { type DestinationStream, type Logger, pino } from 'pino';
import { redactDeep, redactSecrets } from '../audit/redact.js';

/** The one logger factory: every line is redacted (tokens, keys, passwords) before it is written. */
export function createLogger(
  level: string,
  base: Record<string, unknown>,
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base,
    formatters: { log: (object: Record<string, unknown>) => redactDeep(object) },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)),
        );
      },
    },
  };
  return destination ? pino(options as never, destination) : pino(options as never);
}
