import { importJWK, jwtVerify } from 'jose';
import { setDeviceCheckIn } from '../../src/devauth/devauth-repo-devices.js';
import { prepareLiveTokenLookup } from '../../src/devauth/devauth-repo-tokens.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import type { Gatehouse } from '../../src/wiring.js';
import type { BenchDevice, SignedAuthRequest } from './gatehouse.js';
import { type MicroResult, timeAsync } from './micro.js';
import { INVENTORY_BODY } from './wire.js';

export const BREAKDOWN_LABELS: Record<string, string> = {
  jwtVerifyCached: 'tokens.verify, cached signature (Map hit)',
  jwtVerifyUncached: 'JWT EdDSA verify, uncached (jose jwtVerify)',
  jwtSign: 'tokens.sign (device token, EdDSA)',
  tokenRowRead: 'live token lookup (token row, primary key, prepared)',
  checkToken: 'deviceAuth.checkToken (cached sig + token row)',
  checkInWrite: 'setDeviceCheckIn (UPDATE devices)',
  inventoryPut: 'inventory.reportAttributes PUT (3 attrs, 1 tx)',
  authenticate: 'deviceAuth.authenticate, ed25519 (no HTTP)',
};

const jtiOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti: string }).jti;

/**
 * The pieces of a device request and of an auth request, timed in-process one at a time (so
 * PostgreSQL numbers are round-trip latencies). Must run while no check-in write is due for the
 * fleet (within 60 s of seeding), or checkToken would include one.
 */
export const measureBreakdown = async (
  gh: Gatehouse,
  fleet: BenchDevice[],
  authDevices: SignedAuthRequest[],
  ms: number,
): Promise<Record<string, MicroResult>> => {
  const out: Record<string, MicroResult> = {};
  const tokens = fleet.map((d) => d.token);
  const tokenAt = (i: number) => tokens[i % tokens.length] as string;
  const jtis = tokens.map(jtiOf);
  const now = () => gh.clock.nowMs();

  const jwk = gh.tokens.jwks().keys[0];
  if (!jwk) throw new Error('no JWKS key');
  const publicKey = await importJWK(jwk, 'EdDSA');
  out.jwtVerifyCached = await timeAsync((i) => gh.tokens.verify(tokenAt(i)), ms);
  out.jwtVerifyUncached = await timeAsync(
    (i) => jwtVerify(tokenAt(i), publicKey, { algorithms: ['EdDSA'] }),
    ms,
  );
  out.jwtSign = await timeAsync(
    (i) => gh.tokens.sign({ sub: 'bench', jti: `bench-${i}`, 'mender.device': true }, Date.now() + 60_000),
    ms,
  );
  const findLiveDeviceToken = prepareLiveTokenLookup(gh.store);
  out.tokenRowRead = await timeAsync((i) => findLiveDeviceToken(jtis[i % jtis.length] as string, now()), ms);
  out.checkToken = await timeAsync((i) => gh.devauth.device.checkToken(tokenAt(i)), ms);

  const deviceIds: string[] = [];
  for (const t of tokens.slice(0, 100)) {
    const p = await gh.devauth.device.checkToken(t);
    if (!p) throw new Error('seeded token refused');
    deviceIds.push(p.deviceId);
  }
  const deviceAt = (i: number) => deviceIds[i % deviceIds.length] as string;
  out.checkInWrite = await timeAsync((i) => setDeviceCheckIn(gh.store.db, deviceAt(i), now()), ms);
  const attrs = JSON.parse(INVENTORY_BODY) as unknown;
  out.inventoryPut = await timeAsync(
    (i) => gh.inventory.device.reportAttributes(DEFAULT_TENANT_ID, deviceAt(i), attrs, 'replace'),
    ms,
  );
  const ed = authDevices.find((d) => d.kind === 'ed25519');
  if (ed) {
    out.authenticate = await timeAsync(
      () => gh.devauth.device.authenticate({ body: ed.authBody, signature: ed.signature, bearer: undefined }),
      ms,
    );
  }
  return out;
};
