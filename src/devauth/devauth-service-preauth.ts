import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { recordEvent } from '../events/index.js';
import { retryOnConflict } from '../store/conflicts.js';
import { type Executor, isUniqueViolation } from '../store/store.js';
import { devauthErrors } from './devauth-errors.js';
import {
  findAuthSetByDeviceKey,
  findDevicesWithKey,
  insertAuthSetIfAbsent,
  setAuthSetStatus,
} from './devauth-repo-authsets.js';
import { findDeviceByIdentity, insertDeviceIfAbsent, lockDevice } from './devauth-repo-devices.js';
import { recomputeDeviceStatus } from './devauth-transitions.js';
import { type ChangeTrail, type DevauthContext, type Device, trailPayload } from './devauth-types.js';
import { type CanonicalIdentity, canonicalIdentity, IdentityError } from './identity.js';
import { type DevicePublicKey, PublicKeyError, parseDevicePublicKey } from './pubkey.js';

export interface PreauthorizeInput {
  identityData: unknown;
  pubkey: string;
  force?: boolean;
}

/**
 * Preauthorization (POST /devauth/devices): a device and a preauthorized auth set, or with
 * `force` a new key for an existing identity (Mender's key rotation, MEN-6961).
 *
 * Both invariants it answers 409 for are constraints (one device per identity: devices_identity_uq;
 * one device per key: auth_sets_tenant_key_uq, migration 0009). Requests that race past the
 * checks below are refused by the database; the transaction then runs again and its checks see
 * the winner (retryOnConflict), so a race is answered exactly as the same requests in sequence.
 */
export const createPreauthorize = (deps: { ctx: DevauthContext; clock: Clock }) => {
  const { ctx, clock } = deps;
  const { store } = ctx;

  const parse = (
    identityData: unknown,
    pem: string,
  ): { identity: CanonicalIdentity; key: DevicePublicKey } => {
    try {
      return { identity: canonicalIdentity(identityData), key: parseDevicePublicKey(pem) };
    } catch (e) {
      if (e instanceof IdentityError || e instanceof PublicKeyError)
        throw devauthErrors.badAuthRequest(e.message);
      throw e;
    }
  };

  // Mender answers with the existing device as the body.
  const identityExists = (d: Device) =>
    devauthErrors.identityExists({ id: d.id, identity_data: d.identity, status: d.status });

  /** Creates the identity's device; a concurrent request may have created it since it was read. */
  const createDevice = async (
    tx: Executor,
    tenantId: string,
    identity: CanonicalIdentity,
    force: boolean,
    nowMs: number,
  ): Promise<Device> => {
    const device: Device = {
      id: newId(),
      tenantId,
      identity: identity.attributes,
      identityText: identity.text,
      identitySha256: identity.sha256,
      status: 'preauthorized',
      createdAt: nowMs,
      updatedAt: nowMs,
      checkInAt: null,
    };
    if (await insertDeviceIfAbsent(tx, device)) return device;
    // The insert waited for the concurrent one to commit: its device is visible now.
    const raced = await findDeviceByIdentity(tx, tenantId, identity.sha256);
    if (!raced) throw devauthErrors.concurrentChange();
    if (!force) throw identityExists(raced);
    return raced;
  };

  return async (
    tenantId: string,
    input: PreauthorizeInput,
    trail?: ChangeTrail,
  ): Promise<{ deviceId: string; authSetId: string }> => {
    const { identity, key } = parse(input.identityData, input.pubkey);
    const attempt = () =>
      store.db.transaction().execute(async (tx) => {
        const nowMs = clock.nowMs();
        const known = await findDeviceByIdentity(tx, tenantId, identity.sha256);
        if (known && !input.force) throw identityExists(known);
        const holders = await findDevicesWithKey(tx, tenantId, key.sha256, known?.id);
        if (holders.length > 0) {
          // The identity's device may have been committed (with this key) since it was read:
          // answer as if this request had come after it.
          const now = known ?? (await findDeviceByIdentity(tx, tenantId, identity.sha256));
          if (now && !input.force) throw identityExists(now);
          if (!now || holders.some((id) => id !== now.id)) throw devauthErrors.keyInUse(holders[0] as string);
        }
        const target = known ?? (await createDevice(tx, tenantId, identity, input.force === true, nowMs));
        const device = await lockDevice(tx, tenantId, target.id);
        if (!device) throw devauthErrors.concurrentChange();
        const current = await findAuthSetByDeviceKey(tx, device.id, key.sha256);
        let authSetId: string;
        if (current) {
          authSetId = current.id;
          if (current.status === 'pending' || current.status === 'rejected')
            await setAuthSetStatus(tx, current.id, 'preauthorized', nowMs);
        } else {
          authSetId = newId();
          const inserted = await insertAuthSetIfAbsent(tx, {
            id: authSetId,
            tenantId,
            deviceId: device.id,
            pubkey: key.pem,
            pubkeySha256: key.sha256,
            keyType: key.type,
            status: 'preauthorized',
            createdAt: nowMs,
            updatedAt: nowMs,
          });
          if (!inserted) throw devauthErrors.concurrentChange();
        }
        await recomputeDeviceStatus(ctx, tx, device, nowMs);
        await recordEvent(tx, {
          tenantId,
          type: 'device.preauthorized',
          deviceId: device.id,
          payload: {
            auth_set_id: authSetId,
            identity_data: identity.attributes,
            key_type: key.type,
            ...trailPayload(trail),
          },
          nowMs,
        });
        return { deviceId: device.id, authSetId };
      });
    try {
      return await retryOnConflict(attempt);
    } catch (e) {
      // Still losing after the bounded retries (a storm on one identity or key): still a 409.
      if (isUniqueViolation(e)) throw devauthErrors.concurrentChange();
      throw e;
    }
  };
};
