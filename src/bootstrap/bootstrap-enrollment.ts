import { randomBytes, randomUUID } from 'node:crypto';
import { newId } from '../core/ids.js';
import { recordEvent } from '../events/index.js';
import type { Db, Executor } from '../store/store.js';
import { checkChannels, checkTemplate } from './bootstrap-config-input.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import { existingChannelIds } from './bootstrap-repo-channels.js';
import {
  findConfigBy,
  insertConfig,
  linkConfigDevice,
  readHoldNewConfigs,
} from './bootstrap-repo-configs.js';
import { replaceConnections } from './bootstrap-repo-connections.js';
import { type BootstrapSecrets, configSecrets } from './bootstrap-secrets.js';
import {
  type ConfigRecord,
  MAX_CHANNELS_PER_CONFIG,
  MAX_CONTENT_LENGTH,
  type TemplateMode,
} from './bootstrap-types.js';

/** The bootstrap config an enrollment gives an admitted device (enrollment's BootstrapTemplate). */
export interface EnrollmentConfigTemplate {
  content: string;
  contentTemplate: TemplateMode;
  channels: string[];
  /** The created config's state (its client connected to its channels). */
  active: boolean;
  /** null = the tenant's default for new configs. */
  held: boolean | null;
}

export type EnrollmentConfigOutcome =
  /** The device already had a linked config: left as it is. */
  | { outcome: 'existing'; configId: string }
  /** A config with the registration id as external id existed, unlinked: now linked. */
  | { outcome: 'linked'; configId: string }
  | { outcome: 'created'; configId: string }
  /** The external id is taken by another device's config: nothing created. */
  | { outcome: 'conflict'; configId: null }
  | { outcome: 'none'; configId: null };

export interface EnrollmentConfigs {
  /** Checks a template when an enrollment group is saved (syntax, channels); 400 otherwise. */
  checkTemplate(tenantId: string, t: EnrollmentConfigTemplate): Promise<EnrollmentConfigTemplate>;
  /**
   * At admission, inside devauth's transaction: links or creates the device's config. The
   * external id is the registration id; the external key is random and sealed (the device
   * fetches with its device token, GET /bootstrap/device/config).
   */
  provision(
    tx: Executor,
    args: {
      tenantId: string;
      deviceId: string;
      externalId: string;
      template: EnrollmentConfigTemplate | null;
      nowMs: number;
    },
  ): Promise<EnrollmentConfigOutcome>;
}

export const createEnrollmentConfigs = (deps: { db: Db; secrets: BootstrapSecrets }): EnrollmentConfigs => {
  const { db, secrets } = deps;
  return {
    async checkTemplate(tenantId, t) {
      if (t.content.length > MAX_CONTENT_LENGTH)
        throw bootstrapErrors.badRequest(`bootstrap content longer than ${MAX_CONTENT_LENGTH} characters`);
      if (t.channels.length > MAX_CHANNELS_PER_CONFIG)
        throw bootstrapErrors.badRequest(`more than ${MAX_CHANNELS_PER_CONFIG} channels`);
      checkTemplate(t.contentTemplate, t.content === '' ? null : t.content);
      return { ...t, channels: await checkChannels(db, tenantId, t.channels) };
    },

    async provision(tx, { tenantId, deviceId, externalId, template, nowMs }) {
      const linked = await findConfigBy(tx, tenantId, 'device_id', deviceId);
      if (linked) return { outcome: 'existing', configId: linked.config.id };
      const named = await findConfigBy(tx, tenantId, 'external_id', externalId);
      if (named) {
        if (named.config.deviceId !== null) return { outcome: 'conflict', configId: null };
        await linkConfigDevice(tx, named.config.id, deviceId, nowMs);
        await recordEvent(tx, {
          tenantId,
          type: 'bootstrap.config_updated',
          deviceId,
          payload: { client_id: named.config.id, fields: ['device_id'] },
          nowMs,
        });
        return { outcome: 'linked', configId: named.config.id };
      }
      if (!template) return { outcome: 'none', configId: null };

      const id = newId();
      const ref = { tenantId, id };
      const externalKey = randomBytes(32).toString('base64url');
      const clientSecret = randomUUID();
      const record: ConfigRecord = {
        config: {
          id,
          tenantId,
          externalId,
          name: null,
          content: template.content === '' ? null : template.content,
          contentTemplate: template.contentTemplate,
          clientCert: null,
          caCert: null,
          hasClientKey: false,
          state: template.active ? 1 : 0,
          held: template.held ?? (await readHoldNewConfigs(tx, tenantId)),
          deviceId,
          createdAt: nowMs,
          updatedAt: nowMs,
        },
        secrets: configSecrets(secrets, ref, { externalId, externalKey, clientSecret, clientKey: null }),
      };
      await insertConfig(tx, record);
      // Channels deleted since the group was saved are skipped, not fatal to the admission.
      const known = await existingChannelIds(tx, tenantId, template.channels);
      const channels = template.channels.filter((c) => known.has(c));
      await replaceConnections(tx, tenantId, id, channels, template.active, nowMs);
      await recordEvent(tx, {
        tenantId,
        type: 'bootstrap.config_created',
        deviceId,
        payload: {
          client_id: id,
          external_id: externalId,
          name: null,
          channels,
          state: record.config.state,
          held: record.config.held,
          via: 'enrollment',
        },
        nowMs,
      });
      return { outcome: 'created', configId: id };
    },
  };
};
