import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * Headers whose values are credentials: bearer tokens and Basic/Client credentials
 * (`authorization`), device request signatures, webhook signatures, cookies.
 */
const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-men-signature',
  'x-gatehouse-signature',
];

/**
 * Paths that must never reach a log line, whoever logs them: the request log, and objects that
 * carry request headers elsewhere (@fastify/multipart logs its busboy options, headers included,
 * at trace; Node's parser errors carry the raw bytes received, headers included).
 */
export const REDACTED_PATHS = [
  ...SECRET_HEADERS.flatMap((h) => [
    `req.headers["${h}"]`,
    `res.headers["${h}"]`,
    `headers["${h}"]`,
    `*.headers["${h}"]`,
  ]),
  'err.rawPacket',
  '*.rawPacket',
];

/**
 * Query parameters whose values authenticate the request: a signed artifact download link
 * (`signature`, `expires`) works for anyone who has it until it expires, so it is a credential.
 */
const SECRET_QUERY_PARAMS = new Set([
  'signature',
  'expires',
  'sig',
  'token',
  'access_token',
  'jwt',
  'key',
  'secret',
  'password',
]);

const decodedName = (name: string): string => {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
};

/** The URL with the values of secret query parameters replaced; path and other parameters kept. */
export const redactUrl = (url: string): string => {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return SECRET_QUERY_PARAMS.has(decodedName(name)) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${query.join('&')}`;
};

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  host?: string;
  headers?: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string; remotePort?: number };
}

/** Fastify's request serializer (same fields), with secret query parameters redacted. */
const serializeRequest = (req: LoggedRequest) => ({
  method: req.method,
  url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
  version: req.headers?.['accept-version'] as string | undefined,
  host: req.host ?? (req.headers?.host as string | undefined),
  remoteAddress: req.ip ?? req.socket?.remoteAddress,
  remotePort: req.socket?.remotePort,
});

// Last line of defence for what no path above names: every Gatehouse token (user, personal
// access, device, tenant) is a JWT, and signed links have these query parameters.
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+/g;
const SECRET_PARAM = new RegExp(`([?&](?:${[...SECRET_QUERY_PARAMS].join('|')})=)[^&"\\s\\\\#]+`, 'gi');

/** Scrubs token-shaped strings and signed-link parameters from a serialized log line. */
export const scrubLine = (line: string): string =>
  line.replace(JWT, '[redacted-jwt]').replace(SECRET_PARAM, '$1[redacted]');

/** Pino options of the server: JSON lines, secrets redacted at every level, bodies never logged. */
export const loggerOptions = (level: string, stream?: { write(line: string): void }) => ({
  level,
  redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  serializers: { req: serializeRequest },
  hooks: { streamWrite: scrubLine },
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
