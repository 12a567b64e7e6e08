/**
 * Every Gatehouse setting, in one table. Each has an environment variable and a command-line
 * flag (flags win). This table is the only description of settings: `loadConfig` parses it and
 * `npm run docs` renders it to docs/config.md.
 */
export interface SettingSpec<T> {
  key: string;
  env: string;
  flag: string;
  /** Shown in docs; `undefined` means "no default" (or derived, see `doc`). */
  defaultText: string;
  doc: string;
  parse(raw: string): T;
}

export class ConfigError extends Error {}

const int =
  (min: number, max: number) =>
  (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`expected an integer, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(`expected an integer in [${min}, ${max}], got ${n}`);
    return n;
  };

const str = (raw: string): string => raw;

const oneOf =
  <T extends string>(...allowed: T[]) =>
  (raw: string): T => {
    if (!(allowed as string[]).includes(raw)) throw new ConfigError(`expected one of ${allowed.join(', ')}`);
    return raw as T;
  };

export interface ListenAddress {
  host: string;
  port: number;
}

export const parseListen = (raw: string): ListenAddress => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(raw.trim());
  if (!m) throw new ConfigError(`expected host:port, got "${raw}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`port out of range: ${port}`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
};

const url = (raw: string): string => {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new ConfigError(`expected an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
};

export const settings = {
  listen: {
    key: 'listen',
    env: 'GATEHOUSE_LISTEN',
    flag: '--listen',
    defaultText: '0.0.0.0:8080',
    doc: 'HTTP listen address (`host:port`; `[::]:8080` for IPv6).',
    parse: parseListen,
  },
  dataDir: {
    key: 'dataDir',
    env: 'GATEHOUSE_DATA_DIR',
    flag: '--data-dir',
    defaultText: './data',
    doc: 'Directory for the SQLite database, artifact blobs and the generated master key.',
    parse: str,
  },
  databaseUrl: {
    key: 'databaseUrl',
    env: 'GATEHOUSE_DATABASE_URL',
    flag: '--database-url',
    defaultText: 'sqlite:<data-dir>/gatehouse.db',
    doc: '`sqlite:<path>` or `postgres://user[:password]@host:port/db`. Use PostgreSQL to run several Gatehouse processes on one fleet.',
    parse: (raw: string) => {
      if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(raw)) {
        throw new ConfigError('expected sqlite:<path> or postgres://...');
      }
      return raw;
    },
  },
  publicUrl: {
    key: 'publicUrl',
    env: 'GATEHOUSE_PUBLIC_URL',
    flag: '--public-url',
    defaultText: 'derived from listen',
    doc: 'Base URL devices and users reach this server at, used in the artifact download links handed out. Unset: the scheme and Host of the request that asks for the link.',
    parse: url,
  },
  masterKeyFile: {
    key: 'masterKeyFile',
    env: 'GATEHOUSE_MASTER_KEY_FILE',
    flag: '--master-key-file',
    defaultText: '<data-dir>/master.key',
    doc: 'File holding the 32-byte master key (base64) that encrypts secrets at rest (token signing keys, bootstrap secrets). Generated on first start if absent. Every process sharing a database must use the same key.',
    parse: str,
  },
  logLevel: {
    key: 'logLevel',
    env: 'GATEHOUSE_LOG_LEVEL',
    flag: '--log-level',
    defaultText: 'info',
    doc: 'One of fatal, error, warn, info, debug, trace, silent.',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  },
  deviceTokenTtlSeconds: {
    key: 'deviceTokenTtlSeconds',
    env: 'GATEHOUSE_DEVICE_TOKEN_TTL_SECONDS',
    flag: '--device-token-ttl-seconds',
    defaultText: '604800',
    doc: 'Lifetime of device tokens (7 days, like Mender).',
    parse: int(60, 365 * 86400),
  },
  userTokenTtlSeconds: {
    key: 'userTokenTtlSeconds',
    env: 'GATEHOUSE_USER_TOKEN_TTL_SECONDS',
    flag: '--user-token-ttl-seconds',
    defaultText: '604800',
    doc: 'Lifetime of management login tokens.',
    parse: int(60, 365 * 86400),
  },
  jwtIssuer: {
    key: 'jwtIssuer',
    env: 'GATEHOUSE_JWT_ISSUER',
    flag: '--jwt-issuer',
    defaultText: 'Gatehouse',
    doc: 'The `iss` claim of tokens this server issues.',
    parse: (raw: string) => {
      if (raw.length < 1 || raw.length > 200) throw new ConfigError('expected 1..200 characters');
      return raw;
    },
  },
  maxSessionsPerUser: {
    key: 'maxSessionsPerUser',
    env: 'GATEHOUSE_MAX_SESSIONS_PER_USER',
    flag: '--max-sessions-per-user',
    defaultText: '10',
    doc: 'Login tokens kept per user; logging in beyond this revokes the oldest.',
    parse: int(1, 1000),
  },
  tokenCacheSize: {
    key: 'tokenCacheSize',
    env: 'GATEHOUSE_TOKEN_CACHE_SIZE',
    flag: '--token-cache-size',
    defaultText: '100000',
    doc: 'Verified token signatures remembered per process (no revocation delay: validity is still read from the database on every request). Keep it at least the number of devices one process serves, or polling devices pay a signature check on every request.',
    parse: int(0, 10_000_000),
  },
  maxArtifactBytes: {
    key: 'maxArtifactBytes',
    env: 'GATEHOUSE_MAX_ARTIFACT_BYTES',
    flag: '--max-artifact-bytes',
    defaultText: '10737418240',
    doc: 'Largest artifact accepted for upload (10 GiB, like Mender). Uploads are streamed: memory use does not grow with size.',
    parse: int(4096, 1024 ** 4),
  },
  dbPoolSize: {
    key: 'dbPoolSize',
    env: 'GATEHOUSE_DB_POOL_SIZE',
    flag: '--db-pool-size',
    defaultText: '10',
    doc: 'PostgreSQL connections per process (ignored for SQLite).',
    parse: int(1, 200),
  },
  shutdownTimeoutSeconds: {
    key: 'shutdownTimeoutSeconds',
    env: 'GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS',
    flag: '--shutdown-timeout-seconds',
    defaultText: '10',
    doc: 'How long a stopping server waits for requests in flight before it exits.',
    parse: int(0, 600),
  },
} as const satisfies Record<string, SettingSpec<unknown>>;

export type SettingKey = keyof typeof settings;
