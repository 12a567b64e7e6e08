import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Actor } from '../devauth/index.js';
import { recordEvent } from '../events/index.js';
import { type Executor, isUniqueViolation, type Store } from '../store/store.js';
import { factoryErrors } from './factory-errors.js';
import {
  disableFactory,
  findFactory,
  findFactoryBy,
  insertFactory,
  listFactories,
} from './factory-repo-factories.js';
import type { Factory } from './factory-types.js';
import { FactoryKeyError, parseFactoryPublicKey, verifyManifest } from './manifest-signature.js';

const NAME_RE = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;

/**
 * The factory keys of a tenant: the public keys that factory stations sign manifests with. A key
 * is disabled, never deleted, so the devices it brought in keep naming it.
 */
export const createFactoriesService = (deps: { store: Store; clock: Clock }) => {
  const { store, clock } = deps;
  const db = store.db;

  const get = async (tenantId: string, id: string): Promise<Factory> => {
    const f = await findFactory(db, tenantId, id);
    if (!f) throw factoryErrors.factoryNotFound();
    return f;
  };

  return {
    get,
    list: (tenantId: string) => listFactories(db, tenantId),

    async register(
      tenantId: string,
      input: { name: string; publicKeyPem: string },
      actor?: Actor,
    ): Promise<Factory> {
      if (!NAME_RE.test(input.name)) throw factoryErrors.badName();
      let key: ReturnType<typeof parseFactoryPublicKey>;
      try {
        key = parseFactoryPublicKey(input.publicKeyPem);
      } catch (e) {
        if (e instanceof FactoryKeyError) throw factoryErrors.badFactoryKey(e.message);
        throw e;
      }
      const nowMs = clock.nowMs();
      const factory: Factory = {
        id: newId(),
        tenantId,
        name: input.name,
        publicKeyPem: key.pem,
        fingerprint: key.fingerprint,
        keyType: key.type,
        disabledAt: null,
        createdAt: nowMs,
      };
      const refuse = async (tx: Executor) => {
        const byKey = await findFactoryBy(tx, tenantId, { fingerprint: key.fingerprint });
        if (byKey) throw factoryErrors.factoryExists('key', byKey.id);
        const byName = await findFactoryBy(tx, tenantId, { name: input.name });
        if (byName) throw factoryErrors.factoryExists('name', byName.id);
      };
      try {
        await db.transaction().execute(async (tx) => {
          await refuse(tx);
          await insertFactory(tx, factory);
          await recordEvent(tx, {
            tenantId,
            type: 'factory.registered',
            payload: {
              factory_id: factory.id,
              name: factory.name,
              fingerprint: factory.fingerprint,
              ...(actor ? { actor } : {}),
            },
            nowMs,
          });
        });
      } catch (e) {
        // A concurrent registration of the same key or name won (factories_tenant_*_uq).
        if (isUniqueViolation(e)) await refuse(db);
        throw e;
      }
      return factory;
    },

    async disable(tenantId: string, id: string, actor?: Actor): Promise<Factory> {
      await db.transaction().execute(async (tx) => {
        const f = await findFactory(tx, tenantId, id);
        if (!f) throw factoryErrors.factoryNotFound();
        const nowMs = clock.nowMs();
        if (await disableFactory(tx, tenantId, id, nowMs))
          await recordEvent(tx, {
            tenantId,
            type: 'factory.disabled',
            payload: { factory_id: id, name: f.name, ...(actor ? { actor } : {}) },
            nowMs,
          });
      });
      return get(tenantId, id);
    },

    /** The enabled factory whose key verifies the signature, if any. */
    async signer(tenantId: string, manifestSha256: string, signature: string): Promise<Factory | undefined> {
      for (const f of await listFactories(db, tenantId)) {
        if (f.disabledAt !== null) continue;
        if (verifyManifest(parseFactoryPublicKey(f.publicKeyPem).key, manifestSha256, signature)) return f;
      }
      return undefined;
    },
  };
};

export type FactoriesService = ReturnType<typeof createFactoriesService>;
