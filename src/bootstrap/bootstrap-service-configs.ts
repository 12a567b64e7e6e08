import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import { type EventPayloads, type EventTypeWith, type PayloadWithout, recordEvent } from '../events/index.js';
import { lockKey } from '../store/conflicts.js';
import type { Executor, Store } from '../store/store.js';
import {
  checkChannels,
  checkTemplate,
  explainConflict,
  normaliseClientId,
  orNull,
} from './bootstrap-config-input.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import {
  type ConfigFilter,
  type ConfigPatch,
  deleteConfigRow,
  findConfig,
  insertConfig,
  listConfigRecords,
  readHoldNewConfigs,
  updateConfigRow,
  writeHoldNewConfigs,
} from './bootstrap-repo-configs.js';
import { channelsOfConfigs, replaceConnections, setConnectionsActive } from './bootstrap-repo-connections.js';
import { type BootstrapSecrets, configSecrets } from './bootstrap-secrets.js';
import type {
  BootstrapConfig,
  ConfigRecord,
  ConfigState,
  DeviceDirectory,
  TemplateMode,
} from './bootstrap-types.js';

export interface CreateConfigInput {
  externalId: string;
  externalKey: string;
  clientId?: string;
  clientSecret?: string;
  channels?: string[];
  name?: string;
  content?: string;
  contentTemplate?: TemplateMode;
  clientCert?: string;
  clientKey?: string;
  caCert?: string;
  deviceId?: string;
  /** The state it is created in (default 0, not connected): one transaction, never create-then-enable. */
  state?: ConfigState;
  /** Whether the device routes refuse it; absent = the tenant's default (bootstrap settings). */
  held?: boolean;
}

/** A tenant's bootstrap settings. */
export interface BootstrapTenantSettings {
  /** New configs start held unless their request says otherwise (default false, as Magistrala). */
  holdNewConfigs: boolean;
}

export interface BootstrapConfigsService {
  create(tenantId: string, input: CreateConfigInput): Promise<BootstrapConfig>;
  get(tenantId: string, id: string): Promise<BootstrapConfig>;
  list(
    tenantId: string,
    q: Omit<ConfigFilter, 'clientSecretHash'> & { clientSecret?: string; offset: number; limit: number },
  ): Promise<{ configs: BootstrapConfig[]; total: number }>;
  /** Magistrala's PUT: replaces name and content (absent = empty); the template mode only when given. */
  update(
    tenantId: string,
    id: string,
    input: { name?: string; content?: string; contentTemplate?: TemplateMode },
  ): Promise<void>;
  /** Replaces all three (absent = none). */
  updateCerts(
    tenantId: string,
    id: string,
    input: { clientCert?: string; clientKey?: string; caCert?: string },
  ): Promise<BootstrapConfig>;
  updateConnections(tenantId: string, id: string, channelIds: string[]): Promise<void>;
  /** Magistrala's state: connects (1) or disconnects (0) the client; delivery is not affected. */
  setState(tenantId: string, id: string, state: ConfigState): Promise<void>;
  /** Holds (the device routes refuse it) or releases a config. */
  setHeld(tenantId: string, id: string, held: boolean): Promise<BootstrapConfig>;
  getSettings(tenantId: string): Promise<BootstrapTenantSettings>;
  setSettings(tenantId: string, settings: BootstrapTenantSettings): Promise<BootstrapTenantSettings>;
  linkDevice(tenantId: string, id: string, deviceId: string | null): Promise<BootstrapConfig>;
  remove(tenantId: string, id: string): Promise<void>;
}

export const createBootstrapConfigsService = (deps: {
  store: Store;
  clock: Clock;
  secrets: BootstrapSecrets;
  /** Whether a device-auth device of that id exists in the tenant. */
  devices: DeviceDirectory;
}): BootstrapConfigsService => {
  const { store, clock, secrets } = deps;
  const db = store.db;

  const withChannels = async (ex: Executor, records: ConfigRecord[]): Promise<BootstrapConfig[]> => {
    const channels = await channelsOfConfigs(
      ex,
      records.map((r) => r.config.id),
    );
    return records.map((r) => ({ ...r.config, channels: channels.get(r.config.id) ?? [] }));
  };

  const mustFind = async (ex: Executor, tenantId: string, id: string): Promise<ConfigRecord> => {
    const r = await findConfig(ex, tenantId, id);
    if (!r) throw bootstrapErrors.configNotFound();
    return r;
  };

  const checkDevice = async (tenantId: string, deviceId: string | null) => {
    if (deviceId !== null && !(await deps.devices.exists(tenantId, deviceId)))
      throw bootstrapErrors.deviceNotFound();
  };

  const event = <T extends EventTypeWith<'client_id'>>(
    tx: Executor,
    tenantId: string,
    type: T,
    c: { id: string; deviceId: string | null },
    payload: PayloadWithout<T, 'client_id'>,
  ) =>
    recordEvent(tx, {
      tenantId,
      type,
      deviceId: c.deviceId,
      // The compiler cannot see that Omit<P, 'client_id'> plus client_id is P for a generic P.
      payload: { client_id: c.id, ...payload } as EventPayloads[T],
      nowMs: clock.nowMs(),
    });

  /**
   * Runs a change of one config in a transaction; 404 when it does not exist. Changes of one
   * config serialise (its connections are rewritten as delete + insert, which two concurrent
   * changes would otherwise both try on PostgreSQL).
   */
  const change = async <T>(
    tenantId: string,
    id: string,
    fn: (tx: Executor, r: ConfigRecord) => Promise<T>,
  ): Promise<T> => {
    if (!isUuid(id)) throw bootstrapErrors.configNotFound();
    return db.transaction().execute(async (tx) => {
      await lockKey(tx, `bootstrap-config:${id}`);
      return fn(tx, await mustFind(tx, tenantId, id));
    });
  };

  const get = async (tenantId: string, id: string): Promise<BootstrapConfig> =>
    (await withChannels(db, [await mustFind(db, tenantId, id)]))[0] as BootstrapConfig;

  return {
    async create(tenantId, input) {
      const id = input.clientId ? normaliseClientId(input.clientId) : newId();
      const contentTemplate = input.contentTemplate ?? 'none';
      const content = orNull(input.content);
      checkTemplate(contentTemplate, content);
      const deviceId = orNull(input.deviceId);
      await checkDevice(tenantId, deviceId);
      const ref = { tenantId, id };
      const clientSecret = orNull(input.clientSecret) ?? randomUUID();
      const clientKey = orNull(input.clientKey);
      const nowMs = clock.nowMs();
      const record: ConfigRecord = {
        config: {
          id,
          tenantId,
          externalId: input.externalId,
          name: orNull(input.name),
          content,
          contentTemplate,
          clientCert: orNull(input.clientCert),
          caCert: orNull(input.caCert),
          hasClientKey: clientKey !== null,
          state: input.state ?? 0,
          // Set in the transaction below when not given: the tenant's default at creation.
          held: input.held ?? false,
          deviceId,
          createdAt: nowMs,
          updatedAt: nowMs,
        },
        secrets: configSecrets(secrets, ref, {
          externalId: input.externalId,
          externalKey: input.externalKey,
          clientSecret,
          clientKey,
        }),
      };
      try {
        await db.transaction().execute(async (tx) => {
          const channels = await checkChannels(tx, tenantId, input.channels ?? []);
          if (input.held === undefined) record.config.held = await readHoldNewConfigs(tx, tenantId);
          await insertConfig(tx, record);
          await replaceConnections(tx, tenantId, id, channels, record.config.state === 1, nowMs);
          await event(tx, tenantId, 'bootstrap.config_created', record.config, {
            external_id: input.externalId,
            name: record.config.name,
            channels,
            state: record.config.state,
            held: record.config.held,
          });
        });
      } catch (e) {
        await explainConflict(e, db, { ...record.config });
      }
      return (await withChannels(db, [record]))[0] as BootstrapConfig;
    },

    get,

    async list(tenantId, q) {
      const { clientSecret, offset, limit, ...filter } = q;
      const f: ConfigFilter =
        clientSecret === undefined
          ? filter
          : { ...filter, clientSecretHash: secrets.clientSecretHash(clientSecret) };
      const { records, total } = await listConfigRecords(db, tenantId, f, { offset, limit });
      return { configs: await withChannels(db, records), total };
    },

    async update(tenantId, id, input) {
      const name = orNull(input.name);
      const content = orNull(input.content);
      try {
        await change(tenantId, id, async (tx, r) => {
          const mode = input.contentTemplate ?? r.config.contentTemplate;
          checkTemplate(mode, content);
          await updateConfigRow(tx, tenantId, id, { name, content, content_template: mode }, clock.nowMs());
          await event(tx, tenantId, 'bootstrap.config_updated', r.config, {
            fields: ['name', 'content', 'content_template'],
          });
        });
      } catch (e) {
        await explainConflict(e, db, { tenantId, id, name });
      }
    },

    async updateCerts(tenantId, id, input) {
      const clientKey = orNull(input.clientKey);
      const sealed = clientKey === null ? null : secrets.seal({ tenantId, id }, 'client_key', clientKey);
      await change(tenantId, id, async (tx, r) => {
        const patch: ConfigPatch = {
          client_cert: orNull(input.clientCert),
          ca_cert: orNull(input.caCert),
          client_key_sealed: sealed,
        };
        await updateConfigRow(tx, tenantId, id, patch, clock.nowMs());
        await event(tx, tenantId, 'bootstrap.config_updated', r.config, {
          fields: ['client_cert', 'client_key', 'ca_cert'],
        });
      });
      return get(tenantId, id);
    },

    async updateConnections(tenantId, id, channelIds) {
      try {
        await change(tenantId, id, async (tx, r) => {
          const channels = await checkChannels(tx, tenantId, channelIds);
          const nowMs = clock.nowMs();
          const delta = await replaceConnections(tx, tenantId, id, channels, r.config.state === 1, nowMs);
          await updateConfigRow(tx, tenantId, id, {}, nowMs);
          await event(tx, tenantId, 'bootstrap.config_updated', r.config, { fields: ['channels'], ...delta });
        });
      } catch (e) {
        await explainConflict(e, db, { tenantId, id });
      }
    },

    async setState(tenantId, id, state) {
      await change(tenantId, id, async (tx, r) => {
        const nowMs = clock.nowMs();
        // State is its own column; the connections follow it in the same transaction, never the reverse.
        await updateConfigRow(tx, tenantId, id, { state }, nowMs);
        await setConnectionsActive(tx, id, state === 1, nowMs);
        await event(tx, tenantId, 'bootstrap.state_changed', r.config, { from: r.config.state, state });
      });
    },

    async setHeld(tenantId, id, held) {
      await change(tenantId, id, async (tx, r) => {
        if (r.config.held === held) return;
        await updateConfigRow(tx, tenantId, id, { held: held ? 1 : 0 }, clock.nowMs());
        await event(tx, tenantId, 'bootstrap.hold_changed', r.config, { from: r.config.held, held });
      });
      return get(tenantId, id);
    },

    async getSettings(tenantId) {
      return { holdNewConfigs: await readHoldNewConfigs(db, tenantId) };
    },

    async setSettings(tenantId, settings) {
      await db.transaction().execute(async (tx) => {
        const nowMs = clock.nowMs();
        await writeHoldNewConfigs(tx, tenantId, settings.holdNewConfigs, nowMs);
        await recordEvent(tx, {
          tenantId,
          type: 'bootstrap.settings_changed',
          deviceId: null,
          payload: { hold_new_configs: settings.holdNewConfigs },
          nowMs,
        });
      });
      return { holdNewConfigs: settings.holdNewConfigs };
    },

    async linkDevice(tenantId, id, deviceId) {
      await checkDevice(tenantId, deviceId);
      try {
        await change(tenantId, id, async (tx, r) => {
          await updateConfigRow(tx, tenantId, id, { device_id: deviceId }, clock.nowMs());
          await event(
            tx,
            tenantId,
            'bootstrap.config_updated',
            { id, deviceId: deviceId ?? r.config.deviceId },
            {
              fields: ['device_id'],
              device_id: deviceId,
            },
          );
        });
      } catch (e) {
        await explainConflict(e, db, { tenantId, id, deviceId });
      }
      return get(tenantId, id);
    },

    async remove(tenantId, id) {
      await change(tenantId, id, async (tx, r) => {
        await deleteConfigRow(tx, tenantId, id);
        await event(tx, tenantId, 'bootstrap.config_removed', r.config, { external_id: r.config.externalId });
      });
    },
  };
};
