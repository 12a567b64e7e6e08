import { isIP } from 'node:net';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every Gatehouse setting, in one table. Each has an environment variable and a command-line
 * flag (flags win). This table is the only description of settings: the `Config` type is derived
 * from it, `loadConfig` parses it, the CLI commands take its flags by scope and `npm run docs`
 * renders it to docs/config.md.
 */
export interface SettingSpec<T, V = T> {
  key: string;
  env: string;
  flag: string;
  /** Which commands take the flag (`scopes`); the environment variable applies to every command. */
  scope: Scope;
  /** Shown in docs. Without `resolve` it is also the default, parsed like a given value. */
  defaultText: string;
  doc: string;
  parse(raw: string): T;
  /**
   * The value in `Config`, from the parsed one (`undefined`: not set) and the `basis`: for a
   * default computed from other settings, a path made absolute, or none (`optional`).
   */
  resolve?(value: T | undefined, basis: Basis): V;
}

/** The settings that other settings' defaults are computed from; they have plain defaults. */
export interface Basis {
  readonly dataDir: string;
  readonly listen: ListenAddress;
}

/** One setting of the table; `V`, its type in `Config`, is `T` unless `resolve` says otherwise. */
const setting = <T, V = T>(spec: SettingSpec<T, V>): SettingSpec<T, V> => spec;

/** `resolve` of a setting without a default: `undefined` when not set. */
const optional = <T>(value: T | undefined): T | undefined => value;

/**
 * Who takes the flags of each scope: every command but some, or only some. A command declares
 * the scopes it reads (src/cli) and refuses the other flags; src/cli/cli.test.ts holds the CLI to
 * these lists, and docs/config.md prints them.
 */
export const scopes = {
  /** Where the data is. */
  data: { takenBy: 'all but', commands: ['keygen', 'factories new-key', 'bootstrap fetch'] },
  /** What opening Gatehouse (store, master key, services) reads besides. */
  open: { takenBy: 'all but', commands: ['migrate', 'keygen', 'factories new-key', 'bootstrap fetch'] },
  /** Signing tokens. */
  tokens: { takenBy: 'only', commands: ['serve', 'tenants create', 'tenants token'] },
  /** Running device imports. */
  import: { takenBy: 'only', commands: ['serve', 'devices import'] },
  /** Serving: listeners, limits, workers. */
  serve: { takenBy: 'only', commands: ['serve'] },
} as const satisfies Record<string, { takenBy: 'all but' | 'only'; commands: readonly string[] }>;

export type Scope = keyof typeof scopes;

/**
 * The package root: this file is src/config/config-schema.ts (tsx) or dist/config/config-schema.js
 * (built), two levels below it either way.
 */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

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

/** A path, absolute (relative to the working directory). */
const absolutePath = (raw: string): string => resolve(raw);

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

/** Magistrala's secure-mode key is the string's bytes, which AES needs to be 16, 24 or 32 long. */
export const parseEncryptKeyText = (raw: string): string => {
  const n = Buffer.byteLength(raw, 'utf8');
  if (n !== 16 && n !== 24 && n !== 32)
    throw new ConfigError(`must be 16, 24 or 32 bytes (AES-128/192/256), got ${n}`);
  return raw;
};

/** `GATEHOUSE_TRUSTED_PROXIES`: comma-separated IPv4/IPv6 addresses and CIDR ranges. */
export const parseTrustedProxies = (raw: string): string[] => {
  const out: string[] = [];
  for (const part of raw.split(',')) {
    const e = part.trim();
    if (e === '') continue;
    const [addr = '', prefix, extra] = e.split('/');
    const family = isIP(addr);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) ||
      Number(prefix ?? 0) > max
    )
      throw new ConfigError(`expected IP addresses or CIDR ranges, got "${e}"`);
    out.push(e);
  }
  return out;
};

/** An HTTP header name (the client-certificate header an edge proxy sets). */
const headerName = (raw: string): string => {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(raw)) throw new ConfigError(`expected an HTTP header name, got "${raw}"`);
  return raw;
};

/** `true`/`false` (also `1`/`0`, `yes`/`no`). */
const bool = (raw: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(`expected true or false, got "${raw}"`);
};

export const settings = {
  listen: setting({
    key: 'listen',
    env: 'GATEHOUSE_LISTEN',
    flag: '--listen',
    scope: 'serve',
    defaultText: '0.0.0.0:8080',
    doc: 'HTTP listen address (`host:port`; `[::]:8080` for IPv6).',
    parse: parseListen,
  }),
  dataDir: setting({
    key: 'dataDir',
    env: 'GATEHOUSE_DATA_DIR',
    flag: '--data-dir',
    scope: 'data',
    defaultText: './data',
    doc: 'Directory for the SQLite database, artifact blobs and the generated master key.',
    parse: absolutePath,
  }),
  databaseUrl: setting({
    key: 'databaseUrl',
    env: 'GATEHOUSE_DATABASE_URL',
    flag: '--database-url',
    scope: 'data',
    defaultText: 'sqlite:<data-dir>/gatehouse.db',
    doc: '`sqlite:<path>` or `postgres://user[:password]@host:port/db`. Use PostgreSQL to run several Gatehouse processes on one fleet.',
    parse: (raw: string) => {
      if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(raw)) {
        throw new ConfigError('expected sqlite:<path> or postgres://...');
      }
      return raw;
    },
    resolve: (value, { dataDir }) => value ?? `sqlite:${join(dataDir, 'gatehouse.db')}`,
  }),
  publicUrl: setting({
    key: 'publicUrl',
    env: 'GATEHOUSE_PUBLIC_URL',
    flag: '--public-url',
    scope: 'serve',
    defaultText: 'derived from listen',
    doc: 'Base URL devices and users reach this server at, used in the artifact download links handed out. Unset: the scheme and Host of the request that asks for the link.',
    parse: url,
    resolve: (value, { listen }) => {
      if (value !== undefined) return value;
      const host =
        listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '' ? '127.0.0.1' : listen.host;
      return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
    },
  }),
  masterKeyFile: setting({
    key: 'masterKeyFile',
    env: 'GATEHOUSE_MASTER_KEY_FILE',
    flag: '--master-key-file',
    scope: 'open',
    defaultText: '<data-dir>/master.key',
    doc: 'File holding the 32-byte master key (base64) that encrypts secrets at rest (token signing keys, bootstrap secrets). Generated on first start if absent. Every process sharing a database must use the same key.',
    parse: str,
    resolve: (value, { dataDir }) =>
      value ? (isAbsolute(value) ? value : resolve(value)) : join(dataDir, 'master.key'),
  }),
  logLevel: setting({
    key: 'logLevel',
    env: 'GATEHOUSE_LOG_LEVEL',
    flag: '--log-level',
    scope: 'open',
    defaultText: 'info',
    doc: 'One of fatal, error, warn, info, debug, trace, silent.',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  }),
  deviceTokenTtlSeconds: setting({
    key: 'deviceTokenTtlSeconds',
    env: 'GATEHOUSE_DEVICE_TOKEN_TTL_SECONDS',
    flag: '--device-token-ttl-seconds',
    scope: 'serve',
    defaultText: '604800',
    doc: 'Lifetime of device tokens (7 days, like Mender).',
    parse: int(60, 365 * 86400),
  }),
  userTokenTtlSeconds: setting({
    key: 'userTokenTtlSeconds',
    env: 'GATEHOUSE_USER_TOKEN_TTL_SECONDS',
    flag: '--user-token-ttl-seconds',
    scope: 'serve',
    defaultText: '604800',
    doc: 'Lifetime of management login tokens.',
    parse: int(60, 365 * 86400),
  }),
  jwtIssuer: setting({
    key: 'jwtIssuer',
    env: 'GATEHOUSE_JWT_ISSUER',
    flag: '--jwt-issuer',
    scope: 'tokens',
    defaultText: 'Gatehouse',
    doc: 'The `iss` claim of tokens this server issues.',
    parse: (raw: string) => {
      if (raw.length < 1 || raw.length > 200) throw new ConfigError('expected 1..200 characters');
      return raw;
    },
  }),
  maxSessionsPerUser: setting({
    key: 'maxSessionsPerUser',
    env: 'GATEHOUSE_MAX_SESSIONS_PER_USER',
    flag: '--max-sessions-per-user',
    scope: 'serve',
    defaultText: '10',
    doc: 'Login tokens kept per user; logging in beyond this revokes the oldest.',
    parse: int(1, 1000),
  }),
  tokenCacheSize: setting({
    key: 'tokenCacheSize',
    env: 'GATEHOUSE_TOKEN_CACHE_SIZE',
    flag: '--token-cache-size',
    scope: 'serve',
    defaultText: '100000',
    doc: 'Verified token signatures remembered per process (no revocation delay: validity is still read from the database on every request). Keep it at least the number of devices one process serves, or polling devices pay a signature check on every request.',
    parse: int(0, 10_000_000),
  }),
  maxArtifactBytes: setting({
    key: 'maxArtifactBytes',
    env: 'GATEHOUSE_MAX_ARTIFACT_BYTES',
    flag: '--max-artifact-bytes',
    scope: 'serve',
    defaultText: '10737418240',
    doc: 'Largest artifact accepted for upload (10 GiB, like Mender). Uploads are streamed: memory use does not grow with size.',
    parse: int(4096, 1024 ** 4),
  }),
  dbPoolSize: setting({
    key: 'dbPoolSize',
    env: 'GATEHOUSE_DB_POOL_SIZE',
    flag: '--db-pool-size',
    scope: 'open',
    defaultText: '10',
    doc: 'PostgreSQL connections per process (ignored for SQLite).',
    parse: int(1, 200),
  }),
  shutdownTimeoutSeconds: setting({
    key: 'shutdownTimeoutSeconds',
    env: 'GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS',
    flag: '--shutdown-timeout-seconds',
    scope: 'serve',
    defaultText: '10',
    doc: 'How long a stopping server waits for requests in flight before it exits.',
    parse: int(0, 600),
  }),
  bootstrapEncryptKey: setting({
    key: 'bootstrapEncryptKey',
    env: 'GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY',
    flag: '--bootstrap-encrypt-key',
    scope: 'serve',
    defaultText: 'none: secure mode off',
    doc: "Key of Magistrala's secure bootstrap mode (`/bootstrap/clients/bootstrap/secure/...`): the string's bytes, 16, 24 or 32 of them (AES-128/192/256), shared with every device. Prefer `GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY_FILE`: a flag shows in `ps`. Unset: secure mode answers 404. Bootstrap v2 needs no such key.",
    parse: parseEncryptKeyText,
    resolve: optional,
  }),
  bootstrapEncryptKeyFile: setting({
    key: 'bootstrapEncryptKeyFile',
    env: 'GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY_FILE',
    flag: '--bootstrap-encrypt-key-file',
    scope: 'serve',
    defaultText: 'none',
    doc: 'File holding the secure-mode key (one trailing newline is ignored); instead of `GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY`.',
    parse: str,
    resolve: optional,
  }),
  bootstrapMaxFailures: setting({
    key: 'bootstrapMaxFailures',
    env: 'GATEHOUSE_BOOTSTRAP_MAX_FAILURES',
    flag: '--bootstrap-max-failures',
    scope: 'serve',
    defaultText: '10',
    doc: 'Failed bootstrap attempts of one external id from one source address after which that pair gets 429 (the failure reaching the limit included), whatever the key presented; the same external id from other addresses is not affected (docs/limits.md). 0 disables the limit.',
    parse: int(0, 1000),
  }),
  bootstrapLockoutSeconds: setting({
    key: 'bootstrapLockoutSeconds',
    env: 'GATEHOUSE_BOOTSTRAP_LOCKOUT_SECONDS',
    flag: '--bootstrap-lockout-seconds',
    scope: 'serve',
    defaultText: '300',
    doc: 'How long the first bootstrap lock lasts; each further lock of the same key doubles it, up to a day. A successful bootstrap clears the lock of its external id at its address.',
    parse: int(1, 86400),
  }),
  bootstrapChallengeTtlSeconds: setting({
    key: 'bootstrapChallengeTtlSeconds',
    env: 'GATEHOUSE_BOOTSTRAP_CHALLENGE_TTL_SECONDS',
    flag: '--bootstrap-challenge-ttl-seconds',
    scope: 'serve',
    defaultText: '60',
    doc: 'Lifetime of a bootstrap v2 challenge (each is also single use).',
    parse: int(5, 600),
  }),
  bootstrapChallengesPerAddressPerMinute: setting({
    key: 'bootstrapChallengesPerAddressPerMinute',
    env: 'GATEHOUSE_BOOTSTRAP_CHALLENGES_PER_ADDRESS_PER_MINUTE',
    flag: '--bootstrap-challenges-per-address-per-minute',
    scope: 'serve',
    defaultText: '60',
    doc: "Bootstrap v2 challenges one source address (IPv6: per /64) may ask for per minute, in bursts of up to a minute's worth; beyond it they get 429 with `Retry-After`. Every challenge is a row until it expires, so this bounds what a flood can write. Per process. 0 disables the limit.",
    parse: int(0, 1_000_000),
  }),
  tlsListen: setting({
    key: 'tlsListen',
    env: 'GATEHOUSE_TLS_LISTEN',
    flag: '--tls-listen',
    scope: 'serve',
    defaultText: 'none: no HTTPS listener',
    doc: "HTTPS listen address (`host:port`, e.g. `0.0.0.0:8443`) of the TLS listener, which serves the same API as the HTTP one and asks clients for a certificate (mTLS) without requiring one: the chain is verified against the tenants' CAs (docs/adr/0009-pki-and-mtls.md). Needs `GATEHOUSE_TLS_CERT_FILE` and `GATEHOUSE_TLS_KEY_FILE`.",
    parse: parseListen,
    resolve: optional,
  }),
  tlsCertFile: setting({
    key: 'tlsCertFile',
    env: 'GATEHOUSE_TLS_CERT_FILE',
    flag: '--tls-cert-file',
    scope: 'serve',
    defaultText: 'none',
    doc: 'PEM file with the server certificate (and its intermediates) of the TLS listener; read and checked against the key at start.',
    parse: str,
    resolve: (value) => (value === undefined ? undefined : resolve(value)),
  }),
  tlsKeyFile: setting({
    key: 'tlsKeyFile',
    env: 'GATEHOUSE_TLS_KEY_FILE',
    flag: '--tls-key-file',
    scope: 'serve',
    defaultText: 'none',
    doc: 'PEM file with the private key of the TLS listener.',
    parse: str,
    resolve: (value) => (value === undefined ? undefined : resolve(value)),
  }),
  trustedProxies: setting({
    key: 'trustedProxies',
    env: 'GATEHOUSE_TRUSTED_PROXIES',
    flag: '--trusted-proxies',
    scope: 'serve',
    defaultText: 'none',
    doc: 'Comma-separated IP addresses and CIDR ranges of edge proxies. Only requests whose TCP peer is one of them may set `X-Forwarded-For`/`-Proto`/`-Host` and the client-certificate header.',
    parse: parseTrustedProxies,
    resolve: (value): readonly string[] => Object.freeze([...(value ?? [])]),
  }),
  clientCertHeader: setting({
    key: 'clientCertHeader',
    env: 'GATEHOUSE_CLIENT_CERT_HEADER',
    flag: '--client-cert-header',
    scope: 'serve',
    defaultText: 'none',
    doc: "Header in which a trusted edge proxy passes the client certificate it received (URL-encoded PEM, leaf first, as nginx's `$ssl_client_escaped_cert`), e.g. `X-Client-Cert`. Ignored from any other peer. Needs `GATEHOUSE_TRUSTED_PROXIES`.",
    parse: headerName,
    resolve: optional,
  }),
  webhookAllowPrivateTargets: setting({
    key: 'webhookAllowPrivateTargets',
    env: 'GATEHOUSE_WEBHOOK_ALLOW_PRIVATE_TARGETS',
    flag: '--webhook-allow-private-targets',
    scope: 'serve',
    defaultText: 'false',
    doc: 'Whether webhooks (event and allocation) may be sent to loopback, private, link-local and other reserved addresses. Off by default so that a tenant admin cannot make the server reach into its own network (SSRF); the check covers every address a host name resolves to, at connection time. Turn on for receivers on your own network (docs/webhooks.md).',
    parse: bool,
  }),
  webhookWorker: setting({
    key: 'webhookWorker',
    env: 'GATEHOUSE_WEBHOOK_WORKER',
    flag: '--webhook-worker',
    scope: 'serve',
    defaultText: 'true',
    doc: 'Whether this `serve` process delivers webhooks. Any number of processes may (they share the work through leases); turn it off on nodes that should only serve requests.',
    parse: bool,
  }),
  webhookPollIntervalMs: setting({
    key: 'webhookPollIntervalMs',
    env: 'GATEHOUSE_WEBHOOK_POLL_INTERVAL_MS',
    flag: '--webhook-poll-interval-ms',
    scope: 'serve',
    defaultText: '500',
    doc: 'How often the webhook worker looks for new events and due retries when idle.',
    parse: int(10, 60_000),
  }),
  webhookSettleMs: setting({
    key: 'webhookSettleMs',
    env: 'GATEHOUSE_WEBHOOK_SETTLE_MS',
    flag: '--webhook-settle-ms',
    scope: 'serve',
    defaultText: '1000',
    doc: 'How long an event waits in the outbox before it is fanned out to webhooks. Events of one device are delivered in outbox order; an event written up to this much later than its timestamp (write-behind event buffers, long transactions, clock differences between processes) still goes out in order.',
    parse: int(0, 600_000),
  }),
  webhookTimeoutMs: setting({
    key: 'webhookTimeoutMs',
    env: 'GATEHOUSE_WEBHOOK_TIMEOUT_MS',
    flag: '--webhook-timeout-ms',
    scope: 'serve',
    defaultText: '10000',
    doc: 'Deadline of one webhook delivery (connect, send, answer); a slower receiver counts as a failed attempt.',
    parse: int(100, 60_000),
  }),
  webhookRetryBaseMs: setting({
    key: 'webhookRetryBaseMs',
    env: 'GATEHOUSE_WEBHOOK_RETRY_BASE_MS',
    flag: '--webhook-retry-base-ms',
    scope: 'serve',
    defaultText: '1000',
    doc: 'First retry delay of a failed delivery; it doubles per attempt (with jitter) up to `GATEHOUSE_WEBHOOK_RETRY_MAX_MS`.',
    parse: int(10, 3_600_000),
  }),
  webhookRetryMaxMs: setting({
    key: 'webhookRetryMaxMs',
    env: 'GATEHOUSE_WEBHOOK_RETRY_MAX_MS',
    flag: '--webhook-retry-max-ms',
    scope: 'serve',
    defaultText: '600000',
    doc: 'Longest delay between two attempts of a delivery (10 minutes).',
    parse: int(10, 86_400_000),
  }),
  webhookMaxAttempts: setting({
    key: 'webhookMaxAttempts',
    env: 'GATEHOUSE_WEBHOOK_MAX_ATTEMPTS',
    flag: '--webhook-max-attempts',
    scope: 'serve',
    defaultText: '200',
    doc: 'Attempts after which a delivery is marked failed (it then holds back later events of its device until redelivered). With the default backoff, 200 attempts take about a day, so `GATEHOUSE_WEBHOOK_MAX_AGE_SECONDS` is what usually ends the retries.',
    parse: int(1, 1000),
  }),
  webhookMaxAgeSeconds: setting({
    key: 'webhookMaxAgeSeconds',
    env: 'GATEHOUSE_WEBHOOK_MAX_AGE_SECONDS',
    flag: '--webhook-max-age-seconds',
    scope: 'serve',
    defaultText: '86400',
    doc: 'Age after which a delivery that still fails is marked failed, whatever its attempt count (1 day).',
    parse: int(1, 30 * 86400),
  }),
  webhookLogRetentionDays: setting({
    key: 'webhookLogRetentionDays',
    env: 'GATEHOUSE_WEBHOOK_LOG_RETENTION_DAYS',
    flag: '--webhook-log-retention-days',
    scope: 'serve',
    defaultText: '30',
    doc: 'Delivered deliveries (and their attempt logs) are deleted this long after delivery; failed ones are kept until redelivered or the webhook is deleted.',
    parse: int(1, 3650),
  }),
  // Database faults (issue 8, "faults are named"): bounds on waiting for the database.
  dbConnectTimeoutMs: setting({
    key: 'dbConnectTimeoutMs',
    env: 'GATEHOUSE_DB_CONNECT_TIMEOUT_MS',
    flag: '--db-connect-timeout-ms',
    scope: 'open',
    defaultText: '5000',
    doc: 'PostgreSQL: longest wait for a connection, whether a new one is being opened or all of the pool are busy. A request that cannot get one in time is answered 503 with `Retry-After` (the database is unreachable, or the process is overloaded). Ignored for SQLite.',
    parse: int(100, 600_000),
  }),
  dbQueryTimeoutMs: setting({
    key: 'dbQueryTimeoutMs',
    env: 'GATEHOUSE_DB_QUERY_TIMEOUT_MS',
    flag: '--db-query-timeout-ms',
    scope: 'open',
    defaultText: '30000',
    doc: 'PostgreSQL: longest run of one statement. The server cancels it (`statement_timeout`); if the server does not answer at all, Gatehouse gives up 2 s later and drops the connection. Either way the request gets 503 with `Retry-After`. 0 = no limit. Migrations are not limited. `statement_timeout` is sent as a connection parameter: behind PgBouncer, add it to `ignore_startup_parameters`. Ignored for SQLite (see `GATEHOUSE_DB_BUSY_TIMEOUT_MS`).',
    parse: int(0, 3_600_000),
  }),
  dbBusyTimeoutMs: setting({
    key: 'dbBusyTimeoutMs',
    env: 'GATEHOUSE_DB_BUSY_TIMEOUT_MS',
    flag: '--db-busy-timeout-ms',
    scope: 'open',
    defaultText: '5000',
    doc: "SQLite: how long a write waits for the database file's lock held by another process (a CLI command next to the server, a backup) before the request gets 503 with `Retry-After`. Ignored for PostgreSQL.",
    parse: int(0, 600_000),
  }),
  // Limits against floods and guessing (docs/limits.md).
  authUnknownPerAddressPerMinute: setting({
    key: 'authUnknownPerAddressPerMinute',
    env: 'GATEHOUSE_AUTH_UNKNOWN_PER_ADDRESS_PER_MINUTE',
    flag: '--auth-unknown-per-address-per-minute',
    scope: 'serve',
    defaultText: '60',
    doc: "Device auth requests from unknown identities or keys (the ones that would add a pending device or auth set) per source address (IPv6: per /64) and minute, in bursts of up to a minute's worth; beyond it they get 429 with `Retry-After`. Requests of admitted devices are never counted. Per process. 0 disables the limit.",
    parse: int(0, 1_000_000),
  }),
  authUnknownPerTenantPerMinute: setting({
    key: 'authUnknownPerTenantPerMinute',
    env: 'GATEHOUSE_AUTH_UNKNOWN_PER_TENANT_PER_MINUTE',
    flag: '--auth-unknown-per-tenant-per-minute',
    scope: 'serve',
    defaultText: '600',
    doc: 'The same, per tenant, from all addresses together. Per process. 0 disables the limit.',
    parse: int(0, 10_000_000),
  }),
  maxPendingAuthSets: setting({
    key: 'maxPendingAuthSets',
    env: 'GATEHOUSE_MAX_PENDING_AUTH_SETS',
    flag: '--max-pending-auth-sets',
    scope: 'serve',
    defaultText: '10000',
    doc: 'Pending auth sets a tenant may hold (exact, across processes). At the cap, auth requests that would add one get 429 with `Retry-After` and nothing is stored, while admitted and already pending devices work as before; a `device.pending_cap_reached` event (at most one an hour per tenant) tells the operator. Accepting, rejecting or deleting pending devices makes room. 0: no cap.',
    parse: int(0, 100_000_000),
  }),
  loginMaxFailures: setting({
    key: 'loginMaxFailures',
    env: 'GATEHOUSE_LOGIN_MAX_FAILURES',
    flag: '--login-max-failures',
    scope: 'serve',
    defaultText: '10',
    doc: "Failed logins of one account from one source address after which that pair gets 429 (the failure reaching the limit included); the account's owner at another address is not affected. A successful login clears it. 0 disables the limit.",
    parse: int(0, 1000),
  }),
  loginMaxFailuresPerAddress: setting({
    key: 'loginMaxFailuresPerAddress',
    env: 'GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS',
    flag: '--login-max-failures-per-address',
    scope: 'serve',
    defaultText: '100',
    doc: 'Failed logins from one source address (IPv6: per /64), any accounts, after which the address gets 429. They drain over a day (one every 100th of a day by default) and no success clears them. 0 disables the limit.',
    parse: int(0, 100_000),
  }),
  loginMaxFailuresPerAccount: setting({
    key: 'loginMaxFailuresPerAccount',
    env: 'GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT',
    flag: '--login-max-failures-per-account',
    scope: 'serve',
    defaultText: '50',
    doc: 'Failed logins of one account from all addresses after which the account counts as under attack: it is not locked, but while this lasts one failure locks its source address out of that account (one guess per address and lock period). 0 disables it.',
    parse: int(0, 100_000),
  }),
  loginLockoutSeconds: setting({
    key: 'loginLockoutSeconds',
    env: 'GATEHOUSE_LOGIN_LOCKOUT_SECONDS',
    flag: '--login-lockout-seconds',
    scope: 'serve',
    defaultText: '60',
    doc: 'How long the first login lock lasts; each further lock of the same key doubles it, up to an hour.',
    parse: int(1, 3600),
  }),
  bootstrapMaxFailuresPerAddress: setting({
    key: 'bootstrapMaxFailuresPerAddress',
    env: 'GATEHOUSE_BOOTSTRAP_MAX_FAILURES_PER_ADDRESS',
    flag: '--bootstrap-max-failures-per-address',
    scope: 'serve',
    defaultText: '100',
    doc: 'Failed bootstrap attempts from one source address (IPv6: per /64), any external ids, after which the address gets 429. They drain over a day; no success clears them. 0 disables the limit.',
    parse: int(0, 100_000),
  }),
  bootstrapMaxFailuresPerExternalId: setting({
    key: 'bootstrapMaxFailuresPerExternalId',
    env: 'GATEHOUSE_BOOTSTRAP_MAX_FAILURES_PER_EXTERNAL_ID',
    flag: '--bootstrap-max-failures-per-external-id',
    scope: 'serve',
    defaultText: '50',
    doc: 'Failed bootstrap attempts of one external id from all addresses after which it counts as under attack: not locked, but while this lasts one failure locks its source address out of that external id. 0 disables it.',
    parse: int(0, 100_000),
  }),
  headersTimeoutSeconds: setting({
    key: 'headersTimeoutSeconds',
    env: 'GATEHOUSE_HEADERS_TIMEOUT_SECONDS',
    flag: '--headers-timeout-seconds',
    scope: 'serve',
    defaultText: '20',
    doc: 'Time a client has, from connecting (or from the first byte of a further request on a kept-alive connection), to send the complete request headers, and on the TLS listener to finish the handshake; slower connections are closed (within about a second more). Applies to every listener.',
    parse: int(1, 600),
  }),
  bodyTimeoutSeconds: setting({
    key: 'bodyTimeoutSeconds',
    env: 'GATEHOUSE_BODY_TIMEOUT_SECONDS',
    flag: '--body-timeout-seconds',
    scope: 'serve',
    defaultText: '20',
    doc: "Time a client has to send a request body, extended by one second for every `GATEHOUSE_BODY_MIN_BYTES_PER_SECOND` bytes received (as Apache's mod_reqtimeout does), so a multi-GB artifact upload at a steady rate never times out while a body trickled a byte at a time does. The connection is closed when it runs out.",
    parse: int(1, 86_400),
  }),
  bodyMinBytesPerSecond: setting({
    key: 'bodyMinBytesPerSecond',
    env: 'GATEHOUSE_BODY_MIN_BYTES_PER_SECOND',
    flag: '--body-min-bytes-per-second',
    scope: 'serve',
    defaultText: '500',
    doc: 'See `GATEHOUSE_BODY_TIMEOUT_SECONDS`. 0: no extension (every body must arrive within that time).',
    parse: int(0, 1_000_000_000),
  }),
  keepAliveTimeoutSeconds: setting({
    key: 'keepAliveTimeoutSeconds',
    env: 'GATEHOUSE_KEEP_ALIVE_TIMEOUT_SECONDS',
    flag: '--keep-alive-timeout-seconds',
    scope: 'serve',
    defaultText: '72',
    doc: 'How long an idle kept-alive connection waits for its next request. Keep it above the idle timeout of a load balancer in front (60 s for many), so that the balancer, not Gatehouse, closes idle connections.',
    parse: int(1, 3600),
  }),
  idleTimeoutSeconds: setting({
    key: 'idleTimeoutSeconds',
    env: 'GATEHOUSE_IDLE_TIMEOUT_SECONDS',
    flag: '--idle-timeout-seconds',
    scope: 'serve',
    defaultText: '120',
    doc: 'A connection on which nothing is received or sent for this long while a request is open (a stalled upload, a download nobody reads) is closed. 0: never.',
    parse: int(0, 86_400),
  }),
  maxConnectionsPerAddress: setting({
    key: 'maxConnectionsPerAddress',
    env: 'GATEHOUSE_MAX_CONNECTIONS_PER_ADDRESS',
    flag: '--max-connections-per-address',
    scope: 'serve',
    defaultText: '0',
    doc: 'Open connections one client address may hold on each listener; further ones are closed at once. Trusted proxies (`GATEHOUSE_TRUSTED_PROXIES`) are exempt. Off (0) by default: a fleet behind one carrier-grade NAT address can need hundreds.',
    parse: int(0, 1_000_000),
  }),
  importWorker: setting({
    key: 'importWorker',
    env: 'GATEHOUSE_IMPORT_WORKER',
    flag: '--import-worker',
    scope: 'serve',
    defaultText: 'true',
    doc: 'Whether this `serve` process runs device imports (manifests staged through the API, and imports whose runner died: a CLI killed mid-import resumes here). Any number of processes may; an import is run by one at a time, under a lease.',
    parse: bool,
  }),
  importPollIntervalMs: setting({
    key: 'importPollIntervalMs',
    env: 'GATEHOUSE_IMPORT_POLL_INTERVAL_MS',
    flag: '--import-poll-interval-ms',
    scope: 'serve',
    defaultText: '1000',
    doc: 'How often the import worker looks for queued imports and for imports whose lease ran out.',
    parse: int(10, 60_000),
  }),
  importLeaseMs: setting({
    key: 'importLeaseMs',
    env: 'GATEHOUSE_IMPORT_LEASE_MS',
    flag: '--import-lease-ms',
    scope: 'import',
    defaultText: '30000',
    doc: 'How long an import in progress stays reserved for its runner without progress; the runner renews it with every batch (500 rows). When a runner dies, another takes the import over, from its last committed batch, after this long (at once for a rerun on the same host, which sees that the process is gone).',
    parse: int(1000, 3_600_000),
  }),
  importMaxManifestBytes: setting({
    key: 'importMaxManifestBytes',
    env: 'GATEHOUSE_IMPORT_MAX_MANIFEST_BYTES',
    flag: '--import-max-manifest-bytes',
    scope: 'import',
    defaultText: '4294967296',
    doc: 'Largest manifest an import takes (4 GiB: several million devices with RSA keys). The manifest is streamed to blob storage, never held in memory.',
    parse: int(1, 1_099_511_627_776),
  }),
  webhookLeaseMs: setting({
    key: 'webhookLeaseMs',
    env: 'GATEHOUSE_WEBHOOK_LEASE_MS',
    flag: '--webhook-lease-ms',
    scope: 'serve',
    defaultText: '10000',
    doc: 'How long a webhook delivery in progress is reserved for the process sending it; the process renews the reservation every third of this while the request runs, so a slow receiver never loses it. If the process dies (kill -9, power loss), another process, or the same one restarted, takes its deliveries over within this plus one poll interval, still in order per device. Processes must agree on the time to well within a third of this (NTP).',
    parse: int(1000, 600_000),
  }),
  eventsPollMs: setting({
    key: 'eventsPollMs',
    env: 'GATEHOUSE_EVENTS_POLL_MS',
    flag: '--events-poll-ms',
    scope: 'serve',
    defaultText: '250',
    doc: 'How often a `serve` process reads new events from the outbox for its open live event streams (`GET /api/management/v1/events/stream`), one query for all of them; nothing is read while no stream is open. An event reaches the streams of every process within about this long of its commit.',
    parse: int(10, 60_000),
  }),
  eventsMaxStreams: setting({
    key: 'eventsMaxStreams',
    env: 'GATEHOUSE_EVENTS_MAX_STREAMS',
    flag: '--events-max-streams',
    scope: 'serve',
    defaultText: '1000',
    doc: 'Live event streams one `serve` process keeps open at once; further ones get 429.',
    parse: int(1, 1_000_000),
  }),
  eventsMaxStreamsPerUser: setting({
    key: 'eventsMaxStreamsPerUser',
    env: 'GATEHOUSE_EVENTS_MAX_STREAMS_PER_USER',
    flag: '--events-max-streams-per-user',
    scope: 'serve',
    defaultText: '10',
    doc: 'Live event streams one user may hold open on one `serve` process (a console tab holds one); further ones get 429.',
    parse: int(1, 10_000),
  }),
  consoleDir: setting({
    key: 'consoleDir',
    env: 'GATEHOUSE_CONSOLE_DIR',
    flag: '--console-dir',
    scope: 'serve',
    defaultText: '<package>/web/dist',
    doc: 'The built web console, served at `/` (`npm run build` builds it into `web/dist` of the package, found relative to the installed package, not the working directory). Without `index.html` there, `GET /` answers 404 saying so.',
    parse: absolutePath,
    resolve: (value) => value ?? join(PACKAGE_ROOT, 'web', 'dist'),
  }),
} as const;

export type SettingKey = keyof typeof settings;

/** Each setting's type in `Config`. */
export type SettingValues = {
  -readonly [K in SettingKey]: (typeof settings)[K] extends SettingSpec<infer _T, infer V> ? V : never;
};
