import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import { recordEvent } from '../events/index.js';
import { isUniqueViolation, type Store } from '../store/store.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import {
  deleteChannel,
  findChannel,
  insertChannel,
  listChannels,
  updateChannel,
} from './bootstrap-repo-channels.js';
import type { Channel } from './bootstrap-types.js';

export interface BootstrapChannelsService {
  create(tenantId: string, input: { name: string; metadata?: Record<string, unknown> }): Promise<Channel>;
  get(tenantId: string, id: string): Promise<Channel>;
  list(
    tenantId: string,
    q: { offset: number; limit: number },
  ): Promise<{ channels: Channel[]; total: number }>;
  /** Renames (and replaces the metadata when given). */
  update(
    tenantId: string,
    id: string,
    input: { name: string; metadata?: Record<string, unknown> },
  ): Promise<Channel>;
  /** Deletes the channel; configs that listed it no longer do (as Magistrala's channel removal). */
  remove(tenantId: string, id: string): Promise<void>;
}

const MAX_METADATA_BYTES = 16 * 1024;

/**
 * Channels are named per-tenant resources that configs refer to. Gatehouse has no messaging
 * service: a channel is what the device is told about in its bootstrap response.
 */
export const createBootstrapChannelsService = (deps: {
  store: Store;
  clock: Clock;
}): BootstrapChannelsService => {
  const db = deps.store.db;

  const checkInput = (input: { name: string; metadata?: Record<string, unknown> }) => {
    const name = input.name.trim();
    if (name === '') throw bootstrapErrors.badRequest('channel name must not be empty');
    if (input.metadata !== undefined && JSON.stringify(input.metadata).length > MAX_METADATA_BYTES)
      throw bootstrapErrors.badRequest(`channel metadata larger than ${MAX_METADATA_BYTES} bytes`);
    return name;
  };
  const duplicate = (e: unknown): never => {
    if (isUniqueViolation(e))
      throw bootstrapErrors.conflict('a channel with this name already exists in this domain');
    throw e;
  };
  const mustGet = async (tenantId: string, id: string): Promise<Channel> => {
    const c = isUuid(id) ? await findChannel(db, tenantId, id) : undefined;
    if (!c) throw bootstrapErrors.channelNotFound();
    return c;
  };

  return {
    async create(tenantId, input) {
      const nowMs = deps.clock.nowMs();
      const channel: Channel = {
        id: newId(),
        tenantId,
        name: checkInput(input),
        metadata: input.metadata ?? {},
        createdAt: nowMs,
        updatedAt: nowMs,
      };
      try {
        await db.transaction().execute(async (tx) => {
          await insertChannel(tx, channel);
          await recordEvent(tx, {
            tenantId,
            type: 'bootstrap.channel_created',
            payload: { channel_id: channel.id, name: channel.name },
            nowMs,
          });
        });
      } catch (e) {
        duplicate(e);
      }
      return channel;
    },
    get: mustGet,
    list: (tenantId, q) => listChannels(db, tenantId, q),
    async update(tenantId, id, input) {
      const name = checkInput(input);
      const current = await mustGet(tenantId, id);
      const nowMs = deps.clock.nowMs();
      const metadata = input.metadata ?? current.metadata;
      try {
        await db.transaction().execute(async (tx) => {
          if (!(await updateChannel(tx, tenantId, id, { name, metadata, updatedAt: nowMs })))
            throw bootstrapErrors.channelNotFound();
          await recordEvent(tx, {
            tenantId,
            type: 'bootstrap.channel_updated',
            payload: { channel_id: id, name, previous_name: current.name },
            nowMs,
          });
        });
      } catch (e) {
        duplicate(e);
      }
      return { ...current, name, metadata, updatedAt: nowMs };
    },
    async remove(tenantId, id) {
      await mustGet(tenantId, id);
      const nowMs = deps.clock.nowMs();
      await db.transaction().execute(async (tx) => {
        if (!(await deleteChannel(tx, tenantId, id))) throw bootstrapErrors.channelNotFound();
        await recordEvent(tx, {
          tenantId,
          type: 'bootstrap.channel_removed',
          payload: { channel_id: id },
          nowMs,
        });
      });
    },
  };
};
