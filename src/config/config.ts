import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  type ListenAddress,
  parseEncryptKeyText,
  type SettingKey,
  settings,
} from './config-schema.js';

export { ConfigError } from './config-schema.js';

export interface Config {
  listen: ListenAddress;
  dataDir: string;
  databaseUrl: string;
  publicUrl: string;
  /** False when publicUrl was derived from listen (then links follow the request's Host). */
  publicUrlConfigured: boolean;
  masterKeyFile: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  deviceTokenTtlSeconds: number;
  userTokenTtlSeconds: number;
  jwtIssuer: string;
  maxSessionsPerUser: number;
  tokenCacheSize: number;
  maxArtifactBytes: number;
  dbPoolSize: number;
  shutdownTimeoutSeconds: number;
  /** Magistrala secure-mode key (validated: 16/24/32 bytes); undefined = secure mode off. */
  bootstrapEncryptKey: string | undefined;
  bootstrapMaxFailures: number;
  bootstrapLockoutSeconds: number;
  bootstrapChallengeTtlSeconds: number;
  bootstrapChallengesPerAddressPerMinute: number;
  /** The HTTPS (mTLS-capable) listener; undefined = none. Cert and key files are set with it. */
  tlsListen: ListenAddress | undefined;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** Addresses / CIDR ranges of edge proxies (X-Forwarded-* and the client-certificate header). */
  trustedProxies: readonly string[];
  clientCertHeader: string | undefined;
  webhookAllowPrivateTargets: boolean;
  webhookWorker: boolean;
  webhookPollIntervalMs: number;
  webhookSettleMs: number;
  webhookTimeoutMs: number;
  webhookRetryBaseMs: number;
  webhookRetryMaxMs: number;
  webhookMaxAttempts: number;
  webhookMaxAgeSeconds: number;
  webhookLogRetentionDays: number;
  /** PostgreSQL: wait for a pooled or new connection. */
  dbConnectTimeoutMs: number;
  /** PostgreSQL: statement timeout (0 = none). */
  dbQueryTimeoutMs: number;
  /** SQLite: busy timeout (wait for another process's lock). */
  dbBusyTimeoutMs: number;
  // Limits against floods and guessing (docs/limits.md).
  authUnknownPerAddressPerMinute: number;
  authUnknownPerTenantPerMinute: number;
  maxPendingAuthSets: number;
  loginMaxFailures: number;
  loginMaxFailuresPerAddress: number;
  loginMaxFailuresPerAccount: number;
  loginLockoutSeconds: number;
  bootstrapMaxFailuresPerAddress: number;
  bootstrapMaxFailuresPerExternalId: number;
  headersTimeoutSeconds: number;
  bodyTimeoutSeconds: number;
  bodyMinBytesPerSecond: number;
  keepAliveTimeoutSeconds: number;
  idleTimeoutSeconds: number;
  maxConnectionsPerAddress: number;
  webhookLeaseMs: number;
  importWorker: boolean;
  importPollIntervalMs: number;
  importLeaseMs: number;
  importMaxManifestBytes: number;
  eventsPollMs: number;
  eventsMaxStreams: number;
  eventsMaxStreamsPerUser: number;
  /** The built console (index.html and assets), absolute. */
  consoleDir: string;
}

/**
 * The package root: this file is src/config/config.ts (tsx) or dist/config/config.js (built),
 * two levels below it either way.
 */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Flags as parsed by the CLI, keyed by setting key (`dataDir`), values still strings. */
export type ConfigFlags = Partial<Record<SettingKey, string | undefined>>;

/**
 * Reads settings from flags, then the environment, then defaults; validates and freezes them.
 * This module is the only reader of `process.env`.
 */
export const loadConfig = (
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<Config> => {
  const raw = (key: SettingKey): string | undefined => {
    const fromFlag = flags[key];
    if (fromFlag !== undefined) return fromFlag;
    const fromEnv = env[settings[key].env];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const get = <K extends SettingKey>(key: K): ReturnType<(typeof settings)[K]['parse']> | undefined => {
    const value = raw(key);
    if (value === undefined) return undefined;
    try {
      return settings[key].parse(value) as ReturnType<(typeof settings)[K]['parse']>;
    } catch (e) {
      const spec = settings[key];
      throw new ConfigError(`invalid ${spec.flag} / ${spec.env}: ${(e as Error).message}`);
    }
  };
  const dflt = <K extends SettingKey>(key: K): ReturnType<(typeof settings)[K]['parse']> =>
    get(key) ?? (settings[key].parse(settings[key].defaultText) as ReturnType<(typeof settings)[K]['parse']>);

  const dataDir = resolve(get('dataDir') ?? './data');
  const listen = dflt('listen');
  const databaseUrl = get('databaseUrl') ?? `sqlite:${join(dataDir, 'gatehouse.db')}`;
  const publicHost =
    listen.host === '0.0.0.0' || listen.host === '::' || listen.host === '' ? '127.0.0.1' : listen.host;
  const publicUrl =
    get('publicUrl') ?? `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${listen.port}`;
  const masterKeyRaw = get('masterKeyFile');
  const masterKeyFile = masterKeyRaw
    ? isAbsolute(masterKeyRaw)
      ? masterKeyRaw
      : resolve(masterKeyRaw)
    : join(dataDir, 'master.key');

  return Object.freeze({
    listen,
    dataDir,
    databaseUrl,
    publicUrl,
    publicUrlConfigured: get('publicUrl') !== undefined,
    masterKeyFile,
    logLevel: dflt('logLevel'),
    deviceTokenTtlSeconds: dflt('deviceTokenTtlSeconds'),
    userTokenTtlSeconds: dflt('userTokenTtlSeconds'),
    jwtIssuer: dflt('jwtIssuer'),
    maxSessionsPerUser: dflt('maxSessionsPerUser'),
    tokenCacheSize: dflt('tokenCacheSize'),
    maxArtifactBytes: dflt('maxArtifactBytes'),
    dbPoolSize: dflt('dbPoolSize'),
    shutdownTimeoutSeconds: dflt('shutdownTimeoutSeconds'),
    bootstrapEncryptKey: bootstrapEncryptKey(get('bootstrapEncryptKey'), get('bootstrapEncryptKeyFile')),
    bootstrapMaxFailures: dflt('bootstrapMaxFailures'),
    bootstrapLockoutSeconds: dflt('bootstrapLockoutSeconds'),
    bootstrapChallengeTtlSeconds: dflt('bootstrapChallengeTtlSeconds'),
    bootstrapChallengesPerAddressPerMinute: dflt('bootstrapChallengesPerAddressPerMinute'),
    ...tlsAndProxies(
      get('tlsListen'),
      get('tlsCertFile'),
      get('tlsKeyFile'),
      get('trustedProxies'),
      get('clientCertHeader'),
    ),
    webhookAllowPrivateTargets: dflt('webhookAllowPrivateTargets'),
    webhookWorker: dflt('webhookWorker'),
    webhookPollIntervalMs: dflt('webhookPollIntervalMs'),
    webhookSettleMs: dflt('webhookSettleMs'),
    webhookTimeoutMs: dflt('webhookTimeoutMs'),
    webhookRetryBaseMs: dflt('webhookRetryBaseMs'),
    webhookRetryMaxMs: dflt('webhookRetryMaxMs'),
    webhookMaxAttempts: dflt('webhookMaxAttempts'),
    webhookMaxAgeSeconds: dflt('webhookMaxAgeSeconds'),
    webhookLogRetentionDays: dflt('webhookLogRetentionDays'),
    dbConnectTimeoutMs: dflt('dbConnectTimeoutMs'),
    dbQueryTimeoutMs: dflt('dbQueryTimeoutMs'),
    dbBusyTimeoutMs: dflt('dbBusyTimeoutMs'),
    authUnknownPerAddressPerMinute: dflt('authUnknownPerAddressPerMinute'),
    authUnknownPerTenantPerMinute: dflt('authUnknownPerTenantPerMinute'),
    maxPendingAuthSets: dflt('maxPendingAuthSets'),
    loginMaxFailures: dflt('loginMaxFailures'),
    loginMaxFailuresPerAddress: dflt('loginMaxFailuresPerAddress'),
    loginMaxFailuresPerAccount: dflt('loginMaxFailuresPerAccount'),
    loginLockoutSeconds: dflt('loginLockoutSeconds'),
    bootstrapMaxFailuresPerAddress: dflt('bootstrapMaxFailuresPerAddress'),
    bootstrapMaxFailuresPerExternalId: dflt('bootstrapMaxFailuresPerExternalId'),
    headersTimeoutSeconds: dflt('headersTimeoutSeconds'),
    bodyTimeoutSeconds: dflt('bodyTimeoutSeconds'),
    bodyMinBytesPerSecond: dflt('bodyMinBytesPerSecond'),
    keepAliveTimeoutSeconds: dflt('keepAliveTimeoutSeconds'),
    idleTimeoutSeconds: dflt('idleTimeoutSeconds'),
    maxConnectionsPerAddress: dflt('maxConnectionsPerAddress'),
    webhookLeaseMs: dflt('webhookLeaseMs'),
    importWorker: dflt('importWorker'),
    importPollIntervalMs: dflt('importPollIntervalMs'),
    importLeaseMs: dflt('importLeaseMs'),
    importMaxManifestBytes: dflt('importMaxManifestBytes'),
    eventsPollMs: dflt('eventsPollMs'),
    eventsMaxStreams: dflt('eventsMaxStreams'),
    eventsMaxStreamsPerUser: dflt('eventsMaxStreamsPerUser'),
    consoleDir: resolve(get('consoleDir') ?? join(PACKAGE_ROOT, 'web', 'dist')),
  });
};

/** The secure-mode key, from the setting or from its file (not both); validated either way. */
const bootstrapEncryptKey = (value: string | undefined, file: string | undefined): string | undefined => {
  const { bootstrapEncryptKey: key, bootstrapEncryptKeyFile: keyFile } = settings;
  if (value !== undefined && file !== undefined) {
    throw new ConfigError(`set ${key.env} or ${keyFile.env} (${key.flag} or ${keyFile.flag}), not both`);
  }
  if (file === undefined) return value;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new ConfigError(`invalid ${keyFile.flag} / ${keyFile.env}: ${(e as Error).message}`);
  }
  try {
    return parseEncryptKeyText(text);
  } catch (e) {
    throw new ConfigError(`invalid ${keyFile.flag} / ${keyFile.env}: ${file}: ${(e as Error).message}`);
  }
};

/** The TLS listener needs its certificate and key; the proxy header needs trusted proxies. */
const tlsAndProxies = (
  tlsListen: ListenAddress | undefined,
  tlsCertFile: string | undefined,
  tlsKeyFile: string | undefined,
  trustedProxies: string[] | undefined,
  clientCertHeader: string | undefined,
) => {
  const { tlsListen: l, tlsCertFile: c, tlsKeyFile: k, trustedProxies: p, clientCertHeader: h } = settings;
  if (tlsListen && (!tlsCertFile || !tlsKeyFile))
    throw new ConfigError(`${l.flag} / ${l.env} needs ${c.flag} / ${c.env} and ${k.flag} / ${k.env}`);
  if (clientCertHeader && !trustedProxies?.length)
    throw new ConfigError(`${h.flag} / ${h.env} needs ${p.flag} / ${p.env}`);
  return {
    tlsListen,
    tlsCertFile: tlsCertFile === undefined ? undefined : resolve(tlsCertFile),
    tlsKeyFile: tlsKeyFile === undefined ? undefined : resolve(tlsKeyFile),
    trustedProxies: Object.freeze([...(trustedProxies ?? [])]),
    clientCertHeader,
  };
};

/** docs/config.md, generated from the settings table. */
export const renderConfigDoc = (): string => {
  const rows = Object.values(settings).map(
    (s) => `| \`${s.env}\` | \`${s.flag}\` | \`${s.defaultText}\` | ${s.doc} |`,
  );
  return [
    '# Configuration',
    '',
    '<!-- generated by `npm run docs` from src/config/config-schema.ts; do not edit -->',
    '',
    'Every setting has an environment variable and a flag of `gatehouse serve` (and of the other',
    'commands, which work on the same data dir and database). Flags win over the environment.',
    'Settings are validated once at start-up; an invalid value stops the process with a message',
    'naming the flag and variable.',
    '',
    '| env | flag | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
};
