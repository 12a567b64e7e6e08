import { join } from 'node:path';
import { type BlobStore, createFsBlobStore } from './blobs/index.js';
import { type Bootstrap, createBootstrap, parseEncryptKey } from './bootstrap/index.js';
import type { Config } from './config/config.js';
import { type Clock, systemClock } from './core/clock.js';
import { existsBy } from './core/errors.js';
import { createLogger, type Logger } from './core/logger.js';
import { loadOrCreateMasterKey } from './core/master-key.js';
import { createSecretBox } from './core/secret-box.js';
import {
  type ArtifactsService,
  createArtifactsService,
  createDeploymentsDeviceHooks,
  createDeploymentsService,
  createDeviceDeploymentsService,
  createDownloadLinks,
  createReleasesService,
  type DeploymentsService,
  type DeviceDeploymentsService,
  type DownloadLinks,
  type ReleasesService,
} from './deployments/index.js';
import {
  type CheckInRecorder,
  combineDeviceHooks,
  createCheckInRecorder,
  createDevauthAdminService,
  createDeviceAuthService,
  createNewDeviceLimits,
  type DevauthAdminService,
  type DeviceAuthService,
  lockTenantDeviceIds,
} from './devauth/index.js';
import { createEnrollment, type Enrollment } from './enrollment/index.js';
import { type AuditLog, createAuditLog } from './events/index.js';
import { createFactories, type Factories } from './factory/index.js';
import {
  applyEnrollmentInventory,
  createInventoryAdminService,
  createInventoryDeviceHooks,
  createInventoryDeviceSql,
  createInventoryLabels,
  createInventoryService,
  createRegexMatcher,
  type InventoryAdminService,
  type InventoryService,
  listAcceptedDeviceIds,
} from './inventory/index.js';
import { createPki, type Pki } from './pki/index.js';
import { migrateStore } from './store/migrate.js';
import { openStore, type Store } from './store/store.js';
import { createTenantsService, type TenantsService } from './tenants/index.js';
import { ensureSigningKeys, loadSigningKeys } from './tokens/signing-keys.js';
import { createTokenKit, type TokenKit } from './tokens/token-kit.js';
import { hasSigningKeys } from './tokens/tokens-repo-signing-keys.js';
import { createLoginLimits, createUsersService, type UsersService } from './users/index.js';
import { createWebhooks, type HttpSender, type Webhooks } from './webhooks/index.js';

/** Everything a Gatehouse process (server or CLI command) works with. */
export interface Gatehouse {
  config: Readonly<Config>;
  store: Store;
  clock: Clock;
  tokens: TokenKit;
  tenants: TenantsService;
  users: UsersService;
  deviceAuth: DeviceAuthService;
  devauthAdmin: DevauthAdminService;
  inventory: InventoryService;
  inventoryAdmin: InventoryAdminService;
  blobs: BlobStore;
  links: DownloadLinks;
  artifacts: ArtifactsService;
  releases: ReleasesService;
  deployments: DeploymentsService;
  deviceDeployments: DeviceDeploymentsService;
  checkIns: CheckInRecorder;
  bootstrap: Bootstrap;
  pki: Pki;
  enrollment: Enrollment;
  webhooks: Webhooks;
  factory: Factories;
  audit: AuditLog;
  /** The process logger; background work reports through it. */
  logger: Logger;
  close(): Promise<void>;
}

/**
 * Opens the store, applies migrations, loads (or creates) the master key and signing keys, and
 * builds the services. Used by `serve`, by every CLI command and by tests.
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
    const tenants = createTenantsService({ db, clock, tokens });
    const blobs = createFsBlobStore(join(config.dataDir, 'blobs'));
    const links = createDownloadLinks(masterKey);
    const inventoryAdmin = createInventoryAdminService({ store, clock, regex: createRegexMatcher() });
    const checkIns = createCheckInRecorder({
      db,
      // Best effort: a lost batch only makes check_in_time older; say so without failing requests.
      onError: (err) => logger.warn({ err }, 'device check-in write failed'),
    });
    const inventory = createInventoryService({ store, clock });
    const bootstrap = createBootstrap({
      store,
      clock,
      masterKey,
      box,
      logger,
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
      deviceExists: (tenantId, deviceId) => existsBy(devauthAdmin.getDevice(tenantId, deviceId)),
      deviceAttributes: (tenantId, deviceId) => inventory.deviceAttributes(tenantId, deviceId),
    });
    // Built here, started only by `serve` (src/server.ts): CLI commands never deliver webhooks.
    const webhooks = createWebhooks({
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
    // Issued certificates name a CRL URL only when the public URL is known (not derived).
    const pki = createPki({
      db,
      clock,
      box,
      crlBaseUrl: config.publicUrlConfigured ? config.publicUrl : undefined,
    });
    const enrollment = createEnrollment({
      store,
      clock,
      refs: {
        caExists: (tenantId, caId) => existsBy(pki.cas.get(tenantId, caId)),
        allocationWebhookExists: (tenantId, id) => existsBy(webhooks.allocation.get(tenantId, id)),
        checkBootstrapTemplate: (tenantId, t) => bootstrap.enrollment.checkTemplate(db, tenantId, t),
      },
      allocate: webhooks.allocation.allocate,
      effects: {
        applyInventory: applyEnrollmentInventory,
        provisionBootstrap: (tx, args) => bootstrap.enrollment.provision(tx, args),
      },
    });
    const hooks = combineDeviceHooks(
      createInventoryDeviceHooks(),
      createDeploymentsDeviceHooks(),
      enrollment.deviceHooks,
    );
    const devauthAdmin = createDevauthAdminService({
      store,
      clock,
      hooks,
      inventory: createInventoryDeviceSql(db),
      labels: createInventoryLabels(),
      // A bulk request answers only when done: it must finish well before the connection's idle
      // timeout closes it (nothing is sent meanwhile).
      bulkTimeBudgetMs:
        config.idleTimeoutSeconds > 0 ? Math.min(60_000, (config.idleTimeoutSeconds * 1000) / 2) : 60_000,
    });
    // Built here, its worker started only by `serve`: a CLI import runs in the CLI itself.
    const factory = createFactories({
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
    return {
      config,
      store,
      clock,
      tokens,
      tenants,
      users: createUsersService({
        db,
        clock,
        logger,
        tokens,
        userTokenTtlSeconds: config.userTokenTtlSeconds,
        maxSessionsPerUser: config.maxSessionsPerUser,
        tenantName: async (tenantId) => (await tenants.get(tenantId)).name,
        limits: createLoginLimits({
          store,
          clock,
          settings: {
            maxFailures: config.loginMaxFailures,
            maxFailuresPerAddress: config.loginMaxFailuresPerAddress,
            maxFailuresPerAccount: config.loginMaxFailuresPerAccount,
            lockoutSeconds: config.loginLockoutSeconds,
          },
        }),
      }),
      deviceAuth: createDeviceAuthService({
        store,
        clock,
        tokens,
        tenants,
        deviceTokenTtlSeconds: config.deviceTokenTtlSeconds,
        checkIns,
        hooks,
        certificates: enrollment.admission,
        limits: createNewDeviceLimits({
          logger,
          settings: {
            perAddressPerMinute: config.authUnknownPerAddressPerMinute,
            perTenantPerMinute: config.authUnknownPerTenantPerMinute,
            maxPendingAuthSets: config.maxPendingAuthSets,
          },
        }),
      }),
      devauthAdmin,
      inventory,
      inventoryAdmin,
      blobs,
      links,
      artifacts: createArtifactsService({
        store,
        clock,
        blobs,
        links,
        maxArtifactBytes: config.maxArtifactBytes,
        logger,
      }),
      releases: createReleasesService({ store, clock, blobs, logger }),
      deployments: createDeploymentsService({
        store,
        clock,
        acceptedDeviceIds: (tenantId, group) =>
          listAcceptedDeviceIds(db, tenantId, group === undefined ? {} : { group }),
        lockTenantDevices: lockTenantDeviceIds,
      }),
      deviceDeployments: createDeviceDeploymentsService({ store, clock, links }),
      checkIns,
      bootstrap,
      pki,
      enrollment,
      webhooks,
      factory,
      audit: createAuditLog({ db }),
      logger,
      close: async () => {
        await factory.worker.stop();
        await webhooks.worker.stop();
        await bootstrap.close();
        await inventoryAdmin.close();
        await checkIns.close();
        await blobs.close();
        await store.destroy();
      },
    };
  } catch (e) {
    await store.destroy();
    throw e;
  }
};
