import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { recordEvents } from '../events/index.js';
import type { Store } from '../store/store.js';
import type { DesiredConfig } from './bootstrap-import-check.js';
import { existingChannelIds } from './bootstrap-repo-channels.js';
import { readHoldNewConfigs } from './bootstrap-repo-configs.js';
import { holdersOf, insertConfigs, insertConnections } from './bootstrap-repo-import.js';
import { type BootstrapSecrets, configSecrets } from './bootstrap-secrets.js';
import type { ConfigRecord, DeviceDirectory } from './bootstrap-types.js';

/** What the import's steps need. */
export interface ImportDeps {
  store: Store;
  clock: Clock;
  secrets: BootstrapSecrets;
  devices: DeviceDirectory;
}

/**
 * The creating half of `bootstrap import`: which new rows cannot be created (checked set-wise for
 * a batch), and the batch insert of the rest, each config with its final state, connections and
 * event in one transaction.
 */
export const createImportCreation = (deps: ImportDeps) => {
  const { secrets } = deps;
  const db = deps.store.db;

  /** Why fresh rows cannot be created (by line): a value another config holds, or a missing reference. */
  const checkFresh = async (tenantId: string, fresh: DesiredConfig[]) => {
    const out = new Map<number, { outcome: 'conflicting' | 'invalid'; reason: string }>();
    const defined = (f: (d: DesiredConfig) => string | null | undefined) =>
      fresh.map(f).filter((v): v is string => typeof v === 'string');
    const ids = await holdersOf(
      db,
      tenantId,
      'id',
      defined((d) => d.clientId),
    );
    const names = await holdersOf(
      db,
      tenantId,
      'name',
      defined((d) => d.name),
    );
    const links = await holdersOf(
      db,
      tenantId,
      'device_id',
      defined((d) => d.deviceId),
    );
    const channelIds = [...new Set(fresh.flatMap((d) => d.channels))];
    const channels = new Set<string>();
    for (let i = 0; i < channelIds.length; i += 500) {
      for (const id of await existingChannelIds(db, tenantId, channelIds.slice(i, i + 500))) channels.add(id);
    }
    const devices = new Map<string, boolean>();
    for (const id of new Set(defined((d) => d.deviceId)))
      devices.set(id, await deps.devices.exists(tenantId, id));
    const heldBy = (holder: string | null | undefined) =>
      holder ? ` (external_id ${holder})` : ' (in another tenant)';
    for (const d of fresh) {
      const conflict = (reason: string) => out.set(d.line, { outcome: 'conflicting', reason });
      const invalid = (reason: string) => out.set(d.line, { outcome: 'invalid', reason });
      const unknown = d.channels.filter((c) => !channels.has(c));
      if (unknown.length > 0) invalid(`unknown channel ids: ${unknown.slice(0, 5).join(', ')}`);
      else if (d.deviceId !== null && !devices.get(d.deviceId)) invalid('device not found in this tenant');
      else if (d.clientId !== undefined && ids.has(d.clientId))
        conflict(`client_id is already in use${heldBy(ids.get(d.clientId))}`);
      else if (d.name !== null && names.has(d.name))
        conflict(`name is already in use${heldBy(names.get(d.name))}`);
      else if (d.deviceId !== null && links.has(d.deviceId))
        conflict(`the device is already linked to another config${heldBy(links.get(d.deviceId))}`);
    }
    return out;
  };

  const newRecord = (tenantId: string, d: DesiredConfig, nowMs: number): ConfigRecord => {
    const id = d.clientId ?? newId();
    return {
      config: {
        id,
        tenantId,
        externalId: d.externalId,
        name: d.name,
        content: d.content,
        contentTemplate: d.contentTemplate,
        clientCert: d.clientCert,
        caCert: d.caCert,
        hasClientKey: d.clientKey !== null,
        state: d.state,
        // undefined: the tenant's default, read in the inserting transaction (insertAll).
        held: d.held ?? false,
        deviceId: d.deviceId,
        createdAt: nowMs,
        updatedAt: nowMs,
      },
      secrets: configSecrets(
        secrets,
        { tenantId, id },
        {
          externalId: d.externalId,
          externalKey: d.externalKey,
          clientSecret: d.clientSecret ?? randomUUID(),
          clientKey: d.clientKey,
        },
      ),
    };
  };

  /** Configs, connections and their `bootstrap.config_created` events, in one transaction. */
  const insertAll = (tenantId: string, rows: { d: DesiredConfig; r: ConfigRecord }[], nowMs: number) =>
    db.transaction().execute(async (tx) => {
      if (rows.some(({ d }) => d.held === undefined)) {
        const held = await readHoldNewConfigs(tx, tenantId);
        for (const { d, r } of rows) if (d.held === undefined) r.config.held = held;
      }
      await insertConfigs(
        tx,
        rows.map((x) => x.r),
      );
      await insertConnections(
        tx,
        rows.flatMap(({ d, r }) =>
          d.channels.map((channelId) => ({
            configId: r.config.id,
            channelId,
            tenantId,
            active: d.state === 1,
            nowMs,
          })),
        ),
      );
      await recordEvents(
        tx,
        rows.map(({ d, r }) => ({
          tenantId,
          type: 'bootstrap.config_created' as const,
          deviceId: d.deviceId,
          payload: {
            client_id: r.config.id,
            external_id: d.externalId,
            name: d.name,
            channels: d.channels,
            state: d.state,
            held: r.config.held,
            via: 'import',
          },
          nowMs,
        })),
      );
    });

  return { checkFresh, newRecord, insertAll };
};
