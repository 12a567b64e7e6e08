import type { FastifyServerOptions } from 'fastify';
import { type AppOptions, buildApp } from '../../src/app.js';
import { type Config, type ConfigFlags, loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/core/clock.js';
import type { App } from '../../src/http/types.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { type Gatehouse, openGatehouse } from '../../src/wiring.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';
import { recordMenderContract } from './mender-contract.js';

export interface TestServer {
  gh: Gatehouse;
  app: App;
  db: TestDatabase;
  config: Readonly<Config>;
  close(): Promise<void>;
}

/** A complete Gatehouse on a fresh database, for app.inject() tests. */
export const startTestGatehouse = async (
  dialect: DialectName,
  opts: {
    flags?: ConfigFlags;
    clock?: Clock;
    logger?: FastifyServerOptions['logger'];
    app?: Omit<AppOptions, 'logger'>;
  } = {},
): Promise<TestServer> => {
  const db = await createTestDatabase(dialect);
  const config = loadConfig({ dataDir: db.dataDir, databaseUrl: db.url, ...opts.flags }, {});
  const gh = await openGatehouse(config, { clock: opts.clock });
  const observe = opts.app?.observeResponse;
  const app = await buildApp(gh, {
    logger: opts.logger,
    ...opts.app,
    // Every answer on a Mender operation is checked against Mender's own OpenAPI document.
    observeResponse: (req, reply, payload) => {
      recordMenderContract(req, reply, payload);
      observe?.(req, reply, payload);
    },
  });
  return {
    gh,
    app,
    db,
    config,
    close: async () => {
      await app.close();
      await gh.close();
      await db.drop();
    },
  };
};

let userSeq = 0;

/** Creates a user (admin by default) and returns a logged-in bearer token. */
export const adminToken = async (
  gh: Gatehouse,
  opts: { tenantId?: string; role?: string; email?: string } = {},
): Promise<{ token: string; email: string; password: string; userId: string }> => {
  userSeq += 1;
  const email = opts.email ?? `admin${userSeq}-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  const u = await gh.users.service.create({
    tenantId: opts.tenantId ?? DEFAULT_TENANT_ID,
    email,
    password,
    role: opts.role,
  });
  return { token: await gh.users.service.login(email, password), email, password, userId: u.id };
};

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
