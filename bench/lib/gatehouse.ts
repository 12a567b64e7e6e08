import { buildApp } from '../../src/app.js';
import { type ConfigFlags, loadConfig } from '../../src/config/config.js';
import type { App } from '../../src/http/types.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { type Gatehouse, openGatehouse } from '../../src/wiring.js';
import {
  authRequestBody,
  type DeviceKeys,
  type KeyKind,
  makeDeviceKeys,
  signBody,
} from '../../test/helpers/device-client.js';
import type { BenchDatabase } from './databases.js';
import { createWarpClock, type WarpClock } from './warp-clock.js';

export interface BenchServer {
  gh: Gatehouse;
  app: App;
  /** http://127.0.0.1:<port> */
  url: string;
  clock: WarpClock;
  /** Errors the server answered with (message → count) since the last call; the logger is off. */
  takeErrors(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * A complete Gatehouse on `db`, listening on 127.0.0.1 (random port), logger off. `flags` are
 * further settings as the CLI would pass them (e.g. trusted proxies and a client-certificate header).
 */
export const startBenchServer = async (db: BenchDatabase, flags: ConfigFlags = {}): Promise<BenchServer> => {
  const clock = createWarpClock();
  const config = loadConfig(
    { ...flags, dataDir: db.dataDir, databaseUrl: db.url, listen: '127.0.0.1:0', logLevel: 'silent' },
    {},
  );
  const gh = await openGatehouse(config, { clock });
  let app: App | undefined;
  let errors: Record<string, number> = {};
  try {
    app = await buildApp(gh, { logger: false });
    app.addHook('onError', async (_req, _reply, err) => {
      const code = (err as { code?: unknown }).code;
      const key = `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`;
      errors[key] = (errors[key] ?? 0) + 1;
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
  } catch (e) {
    await app?.close();
    await gh.close();
    throw e;
  }
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('server has no TCP address');
  const listening = app;
  return {
    gh,
    app: listening,
    url: `http://127.0.0.1:${addr.port}`,
    clock,
    takeErrors: () => {
      const taken = errors;
      errors = {};
      return taken;
    },
    close: async () => {
      await listening.close();
      await gh.close();
    },
  };
};

export interface BenchDevice {
  kind: KeyKind;
  keys: DeviceKeys;
  identity: Record<string, string>;
  /** The signed auth request body, byte-exact as the Go client writes it. */
  authBody: Buffer;
  /** X-MEN-Signature header value. */
  signature: string;
  /** A device token issued by the first (accepting) authentication. */
  token: string;
}

/** Target size of an auth request body; RSA-3072 keys alone make it a little larger. */
export const AUTH_BODY_TARGET_BYTES = 700;

/**
 * A realistic identity, padded so the signed body is about AUTH_BODY_TARGET_BYTES long (an
 * ed25519 PEM is short; real identities carry MAC, serial number and the like).
 */
const identityFor = (seq: number, publicPem: string): Record<string, string> => {
  const hex = seq.toString(16).padStart(8, '0');
  const base = {
    mac: `02:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}`,
    serial_number: `GH-BENCH-${seq.toString().padStart(8, '0')}`,
    sku: '',
  };
  const unpadded = authRequestBody(base, publicPem).length;
  return { ...base, sku: `sku-${'x'.repeat(Math.max(0, AUTH_BODY_TARGET_BYTES - unpadded - 4))}` };
};

export type SignedAuthRequest = Omit<BenchDevice, 'token'>;

/** Key pair, identity and signed auth request of a device (no server involved). */
export const makeSignedAuthRequest = (
  kind: KeyKind,
  seq: number,
  keys: DeviceKeys = makeDeviceKeys(kind),
): SignedAuthRequest => {
  const identity = identityFor(seq, keys.publicPem);
  const authBody = authRequestBody(identity, keys.publicPem);
  return { kind, keys, identity, authBody, signature: signBody(keys, authBody) };
};

/**
 * Preauthorizes a device and authenticates it once through the service (which accepts the
 * preauthorized auth set and issues a token), like a device coming online for the first time.
 */
export const seedDevice = async (gh: Gatehouse, req: SignedAuthRequest): Promise<BenchDevice> => {
  await gh.devauth.admin.preauthorize(DEFAULT_TENANT_ID, {
    identityData: req.identity,
    pubkey: req.keys.publicPem,
  });
  const token = await gh.devauth.device.authenticate({
    body: req.authBody,
    signature: req.signature,
    bearer: undefined,
  });
  return { ...req, token };
};

/** Seeds `count` ed25519 devices, a few at a time (PostgreSQL round trips overlap). */
export const seedFleet = async (gh: Gatehouse, count: number, firstSeq: number): Promise<BenchDevice[]> => {
  const out: BenchDevice[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await seedDevice(gh, makeSignedAuthRequest('ed25519', firstSeq + i));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
};
