import { join } from 'node:path';
import { type BlobStore, createFsBlobStore } from './blobs/index.js';
import { type BootstrapModule, createBootstrapModule, parseEncryptKey } from './bootstrap/index.js';
import type { Config } from './config/config.js';
import { type Clock, systemClock } from './core/clock.js';
import { createLogger, type Logger } from './core/logger.js';
import { loadOrCreateMasterKey } from './core/master-key.js';
import { createSecretBox } from './core/secret-box.js';
import { createDeploymentsModule, type DeploymentsModule } from './deployments/index.js';
import {
  createDevauthModule,
  createDeviceDirectory,
  type DevauthModule,
  deviceLocks,
} from './devauth/index.js';
import { createEnrollmentModule, type EnrollmentModule } from './enrollment/index.js';
import { createEventsModule, type EventsModule } from './events/index.js';
import { createFactoryModule, type FactoryModule } from './factory/index.js';
import type { Module } from './http/module.js';
import { createInventoryModule, type InventoryModule } from './inventory/index.js';
import { createCaDirectory, createPkiModule, type PkiModule } from './pki/index.js';
import { migrateStore } from './store/migrate.js';
import { openStore, type Store } from './store/store.js';
import { createTenantsModule, type TenantsModule } from './tenants/index.js';
import { ensureSigningKeys, loadSigningKeys } from './tokens/signing-keys.js';
import { createTokenKit, type TokenKit } from './tokens/token-kit.js';
import { hasSigningKeys } from './tokens/tokens-repo-signing-keys.js';
import { createUsersModule, type UsersModule } from './users/index.js';
import { createWebhooksModule, type HttpSender, type WebhooksModule } from './webhooks/index.js';

/**
 * Everything a Gatehouse process (server or CLI command) works with: the shared layers, and one
 * module per domain, each built by its `createXModule` from the ports other modules offer.
 */
export interface Gatehouse {
  config: Readonly<Config>;
  store: Store;
  clock: Clock;
  /** The process logger; background work reports through it. */
  logger: Logger;
  tokens: TokenKit;
  blobs: BlobStore;
  tenants: TenantsModule;
  users: UsersModule;
  inventory: InventoryModule;
  deployments: DeploymentsModule;
  webhooks: WebhooksModule;
  bootstrap: BootstrapModule;
  enrollment: EnrollmentModule;
  devauth: DevauthModule;
  pki: PkiModule;
  factory: FactoryModule;
  events: EventsModule;
  /** Every module, in the order buildApp registers their routes. */
  modules: readonly Module[];
  close(): Promise<void>;
}

/**
 * Opens the store, applies migrations, loads (or creates) the master key and signing keys, and
 * builds the modules, each from the ports of those it needs. Used by `serve`, by every CLI
 * command and by tests.
 */
export const openGatehouse = async (
  config: Readonly<Config>,
  opts: { clock?: Clock; webhookSender?: HttpSender; logger?: Logger } = {},
): Promise<Gatehouse> => {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const connection = {
    databaseUrl: config.databaseUrl,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    busyTimeoutMs: config.dbBusyTimeoutMs,
    onIdleError: (err: Error) => logger.warn({ err }, 'idle database connection lost (it is replaced)'),
  };
  const store = openStore({
    ...connection,
    poolSize: config.dbPoolSize,
    queryTimeoutMs: config.dbQueryTimeoutMs,
  });
  try {
    await migrateStore(store, connection);
    // A database that already has sealed secrets must not get a freshly generated (wrong) key.
    const hasSecrets = await hasSigningKeys(store.db);
    const masterKey = loadOrCreateMasterKey(config.masterKeyFile, { mayCreate: !hasSecrets });
    const box = createSecretBox(masterKey);
    const keys = await ensureSigningKeys(store.db, box, clock.nowMs());
    const tokens = createTokenKit({
      keys,
      issuer: config.jwtIssuer,
      clock,
      cacheSize: config.tokenCacheSize,
      reloadKeys: () => loadSigningKeys(store.db, box),
    });
    const db = store.db;
    const tenants = createTenantsModule({ db, clock, tokens });
    const users = createUsersModule({
      store,
      clock,
      logger,
      tokens,
      tenants: tenants.names,
      settings: {
        userTokenTtlSeconds: config.userTokenTtlSeconds,
        maxSessionsPerUser: config.maxSessionsPerUser,
        login: {
          maxFailures: config.loginMaxFailures,
          maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
          maxFailuresPerAccount: config.loginMaxFailuresPerAccount,
          lockoutSeconds: config.loginLockoutSeconds,
        },
      },
    });
    const blobs = createFsBlobStore(join(config.dataDir, 'blobs'));
    const inventory = createInventoryModule({ store, clock });
    const deployments = createDeploymentsModule({
      store,
      clock,
      blobs,
      masterKey,
      logger,
      acceptedDevices: inventory.acceptedDevices,
      deviceLocks,
      settings: {
        publicUrl: config.publicUrl,
        publicUrlConfigured: config.publicUrlConfigured,
        maxArtifactBytes: config.maxArtifactBytes,
      },
    });
    // Built here, started only by `serve` (src/server.ts): CLI commands never deliver webhooks.
    const webhooks = createWebhooksModule({
      store,
      clock,
      box,
      logger,
      send: opts.webhookSender,
      settings: {
        allowPrivateTargets: config.webhookAllowPrivateTargets,
        pollIntervalMs: config.webhookPollIntervalMs,
        settleMs: config.webhookSettleMs,
        timeoutMs: config.webhookTimeoutMs,
        leaseMs: config.webhookLeaseMs,
        retry: {
          baseMs: config.webhookRetryBaseMs,
          maxMs: config.webhookRetryMaxMs,
          maxAttempts: config.webhookMaxAttempts,
          maxAgeMs: config.webhookMaxAgeSeconds * 1000,
        },
        retentionMs: config.webhookLogRetentionDays * 86_400_000,
      },
    });
    const bootstrap = createBootstrapModule({
      store,
      clock,
      masterKey,
      box,
      logger,
      devices: createDeviceDirectory(db),
      attributes: inventory.attributes,
      settings: {
        encryptKey:
          config.bootstrapEncryptKey === undefined ? undefined : parseEncryptKey(config.bootstrapEncryptKey),
        limits: {
          maxFailures: config.bootstrapMaxFailures,
          maxFailuresPerAddress: config.bootstrapMaxFailuresPerAddress,
          maxFailuresPerExternalId: config.bootstrapMaxFailuresPerExternalId,
          lockoutSeconds: config.bootstrapLockoutSeconds,
        },
        challengeTtlSeconds: config.bootstrapChallengeTtlSeconds,
        challengesPerAddressPerMinute: config.bootstrapChallengesPerAddressPerMinute,
      },
    });
    const enrollment = createEnrollmentModule({
      store,
      clock,
      cas: createCaDirectory(db),
      allocationWebhooks: webhooks.allocationWebhooks,
      bootstrap: bootstrap.enrollment,
      inventory: inventory.enrollment,
    });
    const devauth = createDevauthModule({
      store,
      clock,
      logger,
      tokens,
      tenants: tenants.service,
      hooks: [inventory.deviceHooks, deployments.deviceHooks, enrollment.deviceHooks],
      inventory: inventory.deviceSql,
      labels: inventory.labels,
      certificates: enrollment.admission,
      settings: {
        deviceTokenTtlSeconds: config.deviceTokenTtlSeconds,
        newDevices: {
          perAddressPerMinute: config.authUnknownPerAddressPerMinute,
          perTenantPerMinute: config.authUnknownPerTenantPerMinute,
          maxPendingAuthSets: config.maxPendingAuthSets,
        },
        // A bulk request answers only when done: it must finish well before the connection's idle
        // timeout closes it (nothing is sent meanwhile).
        bulkTimeBudgetMs:
          config.idleTimeoutSeconds > 0 ? Math.min(60_000, (config.idleTimeoutSeconds * 1000) / 2) : 60_000,
      },
    });
    // Issued certificates name a CRL URL only when the public URL is known (not derived).
    const pki = createPkiModule({
      db,
      clock,
      box,
      crlBaseUrl: config.publicUrlConfigured ? config.publicUrl : undefined,
      deviceTokens: devauth.device,
    });
    // Built here, its worker started only by `serve`: a CLI import runs in the CLI itself.
    const factory = createFactoryModule({
      store,
      clock,
      blobs,
      logger,
      settings: {
        leaseMs: config.importLeaseMs,
        maxManifestBytes: config.importMaxManifestBytes,
        pollIntervalMs: config.importPollIntervalMs,
      },
    });
    const events = createEventsModule({ db });
    // The order buildApp registers their routes in (and so the order of the API document);
    // close() runs the other way round.
    const modules = [
      devauth,
      users,
      inventory,
      deployments,
      bootstrap,
      pki,
      webhooks,
      events,
      enrollment,
      factory,
      tenants,
    ];
    return {
      config,
      store,
      clock,
      logger,
      tokens,
      blobs,
      tenants,
      users,
      inventory,
      deployments,
      webhooks,
      bootstrap,
      enrollment,
      devauth,
      pki,
      factory,
      events,
      modules,
      close: async () => {
        // Workers stop and buffers flush before the store closes.
        for (const m of [...modules].reverse()) await m.close?.();
        await blobs.close();
        await store.destroy();
      },
    };
  } catch (e) {
    await store.destroy();
    throw e;
  }
};
