import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import type { Gatehouse } from '../../src/wiring.js';
import { makeSignedAuthRequest, type SignedAuthRequest } from './gatehouse.js';
import type { HttpCaseResult } from './http-case.js';
import type { LoadGenerator } from './load-generator.js';
import { AUTH_PATH } from './wire.js';

/**
 * First admission of preauthorized devices (issue 12): each device's first auth request, over
 * HTTP, once. The server verifies the signature, finds the preauthorized auth set, signs a JWT
 * and, in one transaction, locks the device, accepts the auth set (status and counts), writes the
 * token row and the check-in: what a factory batch coming online costs per device.
 *
 * The load generator sends each device's signed request exactly once (autocannon `amount`, one
 * variant per request); a warm-up batch of other devices goes first. Any answer but 200 marks the
 * case invalid.
 */
export interface AdmissionSettings {
  devices: number;
  warmupDevices: number;
  connections: number;
  log(line: string): void;
}

export interface AdmissionResult extends HttpCaseResult {
  devices: number;
  seedSeconds: number;
}

/** Sequence numbers of these devices' identities: apart from every other bench device. */
const FIRST_SEQ = 5_000_000;

const preauthorizeAll = async (gh: Gatehouse, reqs: SignedAuthRequest[]) => {
  let next = 0;
  const worker = async () => {
    while (next < reqs.length) {
      const r = reqs[next++] as SignedAuthRequest;
      await gh.devauth.admin.preauthorize(DEFAULT_TENANT_ID, {
        identityData: r.identity,
        pubkey: r.keys.publicPem,
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
};

export const measureFirstAdmission = async (
  gh: Gatehouse,
  url: string,
  load: LoadGenerator,
  s: AdmissionSettings,
): Promise<AdmissionResult> => {
  const seedStart = process.hrtime.bigint();
  const total = s.warmupDevices + s.devices;
  s.log(`    preauthorizing ${total} Ed25519 devices`);
  const reqs = Array.from({ length: total }, (_, i) => makeSignedAuthRequest('ed25519', FIRST_SEQ + i));
  await preauthorizeAll(gh, reqs);
  const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
  const spec = (batch: SignedAuthRequest[]) => ({
    url: `${url}${AUTH_PATH}`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', authorization: 'Bearer ' },
    variants: batch.map((r) => ({
      headers: { 'x-men-signature': r.signature },
      body: r.authBody.toString('utf8'),
    })),
    connections: s.connections,
    durationSeconds: 0,
    amount: batch.length,
  });
  const problems: string[] = [];
  const check = (
    phase: string,
    r: {
      requests: number;
      non2xx: number;
      errors: number;
      timeouts: number;
      statusCodes: Record<string, number>;
    },
    expected: number,
  ) => {
    if (r.requests !== expected || r.non2xx > 0 || r.errors > 0 || r.timeouts > 0)
      problems.push(
        `${phase}: ${r.requests} of ${expected} answered, status counts ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts`,
      );
  };
  const acceptedBefore = await gh.devauth.admin.countDevices(DEFAULT_TENANT_ID, 'accepted');
  const warm = reqs.slice(0, s.warmupDevices);
  check('warm-up', await load.run(spec(warm)), warm.length);
  const measured = reqs.slice(s.warmupDevices);
  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  const r = await load.run(spec(measured));
  const cpu = process.cpuUsage(cpuBefore);
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  check('measured run', r, measured.length);
  // Every device must now be accepted (a request sent twice would have left another one out).
  const accepted = (await gh.devauth.admin.countDevices(DEFAULT_TENANT_ID, 'accepted')) - acceptedBefore;
  if (accepted !== total) problems.push(`${accepted} devices accepted after ${total} first requests`);
  return {
    ...r,
    name: 'first admission of preauthorized devices',
    serverCpu: (cpu.user + cpu.system) / wallUs,
    problem: problems.length > 0 ? problems.join('; ') : null,
    devices: measured.length,
    seedSeconds,
  };
};
