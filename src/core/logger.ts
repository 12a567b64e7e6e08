import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Header values that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-men-signature"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** Pino options of the server: JSON lines, secrets redacted, request bodies never logged. */
export const loggerOptions = (level: string, stream?: { write(line: string): void }) => ({
  level,
  redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  ...(stream ? { stream } : {}),
});

/**
 * The process logger: the server's request log and every background task (check-in flushes,
 * webhook delivery, write-behind events) write through it, so nothing goes to stderr unlogged.
 * Without a stream it writes to stderr (CLI commands keep stdout for their output).
 */
export const createLogger = (level: string, stream?: { write(line: string): void }): Logger => {
  const { stream: _s, ...opts } = loggerOptions(level);
  return pino(opts, (stream as DestinationStream | undefined) ?? pino.destination(2));
};
