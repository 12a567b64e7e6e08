import { type AdmissionResult, measureFirstAdmission } from './admission.js';
import { measureBreakdown } from './breakdown.js';
import { admitCertDevice, type CertDevice, certAuthRequest, certProxyFlags } from './cert-auth.js';
import { createBenchDatabase, type DialectName } from './databases.js';
import {
  type BenchDevice,
  type BenchServer,
  type SignedAuthRequest,
  seedDevice,
  seedFleet,
  startBenchServer,
} from './gatehouse.js';
import { type HttpCaseResult, type HttpCaseTiming, measureHttp } from './http-case.js';
import type { LoadGenerator } from './load-generator.js';
import type { MicroResult } from './micro.js';
import { AUTH_PATH, INVENTORY_BODY, INVENTORY_PATH } from './wire.js';

export interface DialectSettings extends HttpCaseTiming {
  connections: number;
  fleetSize: number;
  /** Preauthorized devices admitted by their first request in the first-admission case. */
  admissionDevices: number;
  microMs: number;
  /** Clock speed-up in the "check-in due" case; must make one lap of the fleet last > 60 virtual s. */
  warpSpeed: number;
  log(line: string): void;
}

export interface DialectResults {
  dialect: DialectName;
  seedSeconds: number;
  /** Per key type: one device's signed request replayed. */
  auth: Record<string, HttpCaseResult>;
  /** Ed25519: the fleet's signed requests in turn (distinct devices). */
  authFleet: HttpCaseResult;
  /** Ed25519: preauthorized devices' first auth requests, once each (token signed, rows written). */
  admission: AdmissionResult;
  /**
   * ECDSA P-256: a device admitted by its client certificate (edge-proxy header) re-authenticating;
   * null when its setup (CA registration, admission) failed, with the reason in authCertError.
   */
  authCert: HttpCaseResult | null;
  authCertError?: string;
  device: {
    oneToken: HttpCaseResult;
    fleet: HttpCaseResult;
    fleetCheckInDue: HttpCaseResult;
  };
  /** Virtual seconds between two requests of one device in the check-in-due case (must exceed 60). */
  checkInLapVirtualSeconds: number;
  /** Sequential in-process costs of the pieces of a device request (no HTTP). */
  breakdown: Record<string, MicroResult>;
}

export const runDialect = async (
  dialect: DialectName,
  load: LoadGenerator,
  authDevices: SignedAuthRequest[],
  certDevice: CertDevice,
  s: DialectSettings,
): Promise<DialectResults> => {
  const db = await createBenchDatabase(dialect);
  let server: BenchServer | undefined;
  try {
    // The load generator is a trusted edge proxy (for the client-certificate case). Requests
    // without the header are unaffected (one address check per request, as with no proxy set).
    server = await startBenchServer(db, certProxyFlags);
    const { gh, url } = server;
    const srv = server;
    const http = { connections: s.connections };
    const measure = async (name: string, spec: Parameters<typeof measureHttp>[2]) => {
      srv.takeErrors();
      const r = await measureHttp(load, `${dialect}: ${name}`, spec, s);
      const serverErrors = srv.takeErrors();
      return Object.keys(serverErrors).length > 0 ? { ...r, serverErrors } : r;
    };

    // Auth requests: one device's signed request replayed, per key type. Each one verifies the
    // signature, signs a JWT and inserts a token row (older rows of the auth set are pruned).
    // Auth request bodies are ASCII (Go's encoder escapes the rest), so a string is byte-exact.
    const signedVariant = (req: SignedAuthRequest) => ({
      headers: { 'x-men-signature': req.signature },
      body: req.authBody.toString('utf8'),
    });
    const authSpec = (req: SignedAuthRequest) => {
      const v = signedVariant(req);
      return {
        ...http,
        url: `${url}${AUTH_PATH}`,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json', authorization: 'Bearer ', ...v.headers },
        body: v.body,
      };
    };
    const auth: Record<string, HttpCaseResult> = {};
    for (const req of authDevices) {
      await seedDevice(gh, req);
      s.log(`  ${dialect}: auth requests, ${req.kind}`);
      auth[req.kind] = await measure(`auth requests, ${req.kind}`, authSpec(req));
    }

    s.log(`  ${dialect}: first admission of ${s.admissionDevices} preauthorized devices`);
    const admission = await measureFirstAdmission(gh, url, load, {
      devices: s.admissionDevices,
      warmupDevices: Math.ceil(s.admissionDevices / 10),
      connections: s.connections,
      log: s.log,
    });

    // Certificate-based admission (ADR 11) behind an edge proxy: the CA is registered and
    // verified, the device admitted by its first request; measured is its re-authentication
    // (chain verification against the CA, enrollment lookups, auth set lookup, young token reused).
    let authCert: HttpCaseResult | null = null;
    let authCertError: string | undefined;
    const certName = 'auth requests with a client certificate (edge-proxy header), ec P-256';
    try {
      await admitCertDevice(gh, url, certDevice);
      const r = certAuthRequest(certDevice);
      s.log(`  ${dialect}: ${certName}`);
      authCert = await measure(certName, {
        ...http,
        url: `${url}${r.path}`,
        method: 'POST',
        headers: r.headers,
        body: r.body,
      });
    } catch (e) {
      authCertError = e instanceof Error ? (e.stack ?? e.message) : String(e);
      s.log(`  ${dialect}: ${certName} failed: ${authCertError}`);
    }

    // Device-authenticated requests. The fleet is seeded right before use: the service skips the
    // check-in write for a device seen in the last 60 s, the state of a fast poller.
    const seedStart = process.hrtime.bigint();
    s.log(`  ${dialect}: seeding ${s.fleetSize} accepted devices`);
    const fleet = await seedFleet(gh, s.fleetSize, 1_000);
    const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
    // Steady state: every device has made its first request, so its token signature is cached.
    for (const d of fleet) {
      if (!(await gh.tokens.verify(d.token))) throw new Error('seeded token does not verify');
    }
    const inventorySpec = {
      ...http,
      url: `${url}${INVENTORY_PATH}`,
      method: 'PUT' as const,
      headers: { 'content-type': 'application/json' },
      body: INVENTORY_BODY,
    };
    const tokens = fleet.map((d) => d.token);
    const tokenVariants = tokens.map((t) => ({ headers: { authorization: `Bearer ${t}` } }));
    s.log(`  ${dialect}: device requests, ${fleet.length} tokens rotated`);
    const fleetResult = await measure(`device requests, ${fleet.length} tokens`, {
      ...inventorySpec,
      variants: tokenVariants,
    });
    if (Number(process.hrtime.bigint() - seedStart) / 1e9 > 55) {
      s.log(`  warning: the fleet case ended >55 s after seeding; some requests may have written check-ins`);
    }
    const first = fleet[0] as BenchDevice;
    s.log(`  ${dialect}: device requests, one token`);
    const oneToken = await measure('device requests, one token', {
      ...inventorySpec,
      headers: { ...inventorySpec.headers, authorization: `Bearer ${first.token}` },
    });

    // In-process breakdown, while no check-in write is due yet.
    s.log(`  ${dialect}: in-process breakdown`);
    const breakdown = await measureBreakdown(gh, fleet, authDevices, s.microMs);

    s.log(`  ${dialect}: device requests, ${fleet.length} tokens rotated, check-in write due on each`);
    server.clock.setSpeed(s.warpSpeed);
    let fleetCheckInDue: HttpCaseResult;
    try {
      fleetCheckInDue = await measure(`device requests, ${fleet.length} tokens, check-in due`, {
        ...inventorySpec,
        variants: tokenVariants,
      });
    } finally {
      server.clock.setSpeed(1);
    }
    // Each device comes round again after fleet/rps real seconds; at warp speed that must be more
    // than the 60 s check-in interval, or some requests skipped the write.
    const lapVirtualSeconds = (fleet.length / Math.max(1, fleetCheckInDue.rps)) * s.warpSpeed;
    if (lapVirtualSeconds <= 60 && !fleetCheckInDue.problem) {
      fleetCheckInDue = {
        ...fleetCheckInDue,
        problem: `a device came round every ${lapVirtualSeconds.toFixed(0)} virtual s (< 60 s): not every request wrote its check-in; use more --devices`,
      };
    }

    // Last, because it replaces the fleet's tokens (only the newest 5 per auth set are kept): auth
    // requests spread over the fleet, so they do not queue on one device's row lock.
    s.log(`  ${dialect}: auth requests, ${fleet.length} ed25519 devices rotated`);
    const authFleet = await measure(`auth requests, ${fleet.length} devices`, {
      ...authSpec(first),
      variants: fleet.map(signedVariant),
    });

    return {
      dialect,
      seedSeconds,
      auth,
      authFleet,
      admission,
      authCert,
      ...(authCertError !== undefined && { authCertError }),
      device: { oneToken, fleet: fleetResult, fleetCheckInDue },
      checkInLapVirtualSeconds: lapVirtualSeconds,
      breakdown,
    };
  } finally {
    await server?.close();
    await db.drop();
  }
};
