import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { safeEqual } from '../core/hash.js';
import type { Store } from '../store/store.js';
import { DEFAULT_TENANT_ID } from '../tenants/index.js';
import type { AttemptContext, AttemptOutcomes } from './bootstrap-attempts.js';
import { cfbEncrypt, decryptSecureHeader } from './bootstrap-crypto-cfb.js';
import { type DeliveryBuilder, deliveryToWire } from './bootstrap-delivery.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import type { BufferedEvent, EventBuffer } from './bootstrap-event-buffer.js';
import type { prepareDeviceLookups } from './bootstrap-repo-configs.js';
import type { BootstrapSecrets } from './bootstrap-secrets.js';
import type { Delivery } from './bootstrap-types.js';

export interface DeviceRequest {
  externalId: string;
  /** The raw Authorization header. */
  authorization: string | undefined;
  address: string;
}

export interface BootstrapDeviceService {
  /** Magistrala `GET /clients/bootstrap/{external_id}` with `Authorization: Client <external key>`. */
  fetchPlain(req: DeviceRequest): Promise<Delivery>;
  /** Magistrala secure mode: returns IV ‖ AES-CFB(JSON). */
  fetchSecure(req: DeviceRequest): Promise<Buffer>;
  /** The config linked to an authenticated Mender device, unless it is held. */
  fetchForDevice(principal: { tenantId: string; deviceId: string }): Promise<Delivery>;
  readonly secureEnabled: boolean;
}

const CLIENT_SCHEME = /^client (.*)$/is;

/** The external key behind `Client <...>`; Magistrala answers 400 for a missing or other scheme. */
const clientCredential = (authorization: string | undefined): string => {
  const m = authorization === undefined ? null : CLIENT_SCHEME.exec(authorization);
  if (!m || m[1] === '') throw bootstrapErrors.missingKey();
  return m[1] as string;
};

export const createBootstrapDeviceService = (deps: {
  store: Store;
  clock: Clock;
  secrets: BootstrapSecrets;
  lookups: ReturnType<typeof prepareDeviceLookups>;
  deliver: DeliveryBuilder;
  outcomes: AttemptOutcomes;
  eventBuffer: EventBuffer;
  /** Magistrala's fleet-wide secure-mode key; undefined = secure mode off. */
  encryptKey: Buffer | undefined;
}): BootstrapDeviceService => {
  const { secrets, lookups, deliver, outcomes } = deps;

  /**
   * The shared path of plain and secure mode. Unknown external id, wrong key and held config
   * do the same work (one lookup, one keyed hash, one comparison per candidate or against a
   * dummy) and end in the same refusal.
   */
  const authenticate = async (c: AttemptContext, presentedKey: string | undefined): Promise<Delivery> => {
    const known = await outcomes.gate(c, DEFAULT_TENANT_ID);
    const candidates = await lookups.byExternalId(c.externalId);
    // Undefined = the secure header did not decrypt: compare something that cannot match.
    const presentedHash = secrets.externalKeyHash(
      c.externalId,
      presentedKey ?? randomBytes(32).toString('hex'),
    );
    const matching = candidates.filter((r) => safeEqual(r.secrets.externalKeyHash, presentedHash));
    if (candidates.length === 0) safeEqual(secrets.dummyHash, presentedHash);
    const tenants = candidates.length > 0 ? candidates.map((r) => r.config.tenantId) : [DEFAULT_TENANT_ID];
    const record = matching.length === 1 ? matching[0] : undefined;
    // `state` (channel connections) does not matter here: Magistrala delivers in either state.
    if (!record || presentedKey === undefined || record.config.held) {
      const reason =
        candidates.length === 0
          ? 'unknown external id'
          : presentedKey === undefined
            ? 'undecryptable secure header'
            : matching.length === 0
              ? 'wrong external key'
              : matching.length > 1
                ? 'external id and key match configs in several domains'
                : 'config held';
      return outcomes.failed(c, tenants, reason);
    }
    const delivery = await deliver(record);
    await outcomes.succeeded(c, known, record);
    return delivery;
  };

  const context = (req: DeviceRequest, mode: 'plain' | 'secure'): AttemptContext => {
    if (req.externalId === '') throw bootstrapErrors.missingExternalId();
    return {
      mode,
      externalId: req.externalId,
      address: req.address,
      keys: outcomes.keys(req.externalId, req.address),
    };
  };

  return {
    secureEnabled: deps.encryptKey !== undefined,

    async fetchPlain(req) {
      const c = context(req, 'plain');
      return authenticate(c, clientCredential(req.authorization));
    },

    async fetchSecure(req) {
      const key = deps.encryptKey;
      if (!key) throw bootstrapErrors.secureDisabled();
      const c = context(req, 'secure');
      const header = clientCredential(req.authorization).trim();
      const delivery = await authenticate(c, decryptSecureHeader(key, header));
      return cfbEncrypt(key, Buffer.from(JSON.stringify(deliveryToWire(delivery))));
    },

    async fetchForDevice({ tenantId, deviceId }) {
      const record = await lookups.byDevice(tenantId, deviceId);
      const ok = record !== undefined && !record.config.held;
      const delivery = ok ? await deliver(record) : undefined;
      const event = {
        tenantId,
        deviceId,
        payload: {
          mode: 'device_token',
          ...(record ? { client_id: record.config.id, external_id: record.config.externalId } : {}),
          ...(ok ? {} : { reason: record ? 'config held' : 'no linked config' }),
        },
        nowMs: deps.clock.nowMs(),
      };
      // An authenticated device's fetch changes nothing and counts against no limit: buffered either way.
      // A fetch always has client_id and external_id, a failure a reason: the compiler cannot pair them.
      deps.eventBuffer.add({
        ...event,
        type: delivery ? 'bootstrap.fetched' : 'bootstrap.failed',
      } as BufferedEvent);
      if (!delivery) throw bootstrapErrors.noConfigForDevice();
      return delivery;
    },
  };
};
