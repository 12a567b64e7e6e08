import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { buildArtifact, menderArtifactMissing, writePayload } from './artifact-files.js';
import { createBenchDatabase, type DialectName } from './databases.js';
import { type BenchServer, seedFleet, startBenchServer } from './gatehouse.js';
import { type HttpCaseResult, type HttpCaseTiming, measureHttp } from './http-case.js';
import type { LoadGenerator } from './load-generator.js';
import {
  NEXT_BODY,
  NEXT_PATH,
  POLL_CURRENT_ARTIFACT,
  POLL_DEVICE_TYPE,
  POLL_INVENTORY_BODY,
  POLL_UPDATE_ARTIFACT,
} from './wire.js';

export interface PollingSettings extends HttpCaseTiming {
  connections: number;
  /** Accepted devices polling (10,000). */
  pollDevices: number;
  /** Devices that go through the deployment (next with an update, then success) via the services. */
  finishingDevices: number;
  log(line: string): void;
}

export interface DeploymentSetup {
  /** deployments.create for all devices (one transaction inserting a row per device). */
  createSeconds: number;
  /** Devices that asked next (getting the update) and reported success, through the services. */
  finishedDevices: number;
  finishSeconds: number;
  /** finishedDevices / finishSeconds, with 4 devices in flight. */
  devicesFinishedPerSecond: number;
  /** deployments.abort, which finishes the rows of the remaining devices in one statement. */
  abortSeconds: number;
  statistics: Record<string, number>;
  status: string;
}

export interface PollingResults {
  dialect: DialectName;
  devices: number;
  seedSeconds: number;
  /** checkToken of every device (ids, token signatures cached) and one inventory report each. */
  prepareSeconds: number;
  /** No deployment: every next answers 204 after one indexed read. */
  noDeployment: HttpCaseResult;
  /** A finished deployment of every device exists (its rows are inactive); next still answers 204. */
  finishedDeployment: HttpCaseResult | null;
  deployment: DeploymentSetup | null;
  skipped?: string;
}

/** Runs `fn(i)` for i in [0, n) with `width` calls in flight. */
const forEachConcurrently = async (n: number, width: number, fn: (i: number) => Promise<void>) => {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
};

const secondsSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** A tiny artifact `release-2` for the polling fleet's device type, uploaded through the service. */
const uploadUpdateArtifact = async (server: BenchServer): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-poll-'));
  try {
    const payload = join(dir, 'payload');
    writePayload(payload, 64 * 1024);
    const file = buildArtifact({
      dir,
      name: POLL_UPDATE_ARTIFACT,
      deviceType: POLL_DEVICE_TYPE,
      payloadFile: payload,
    });
    await server.gh.deployments.artifacts.upload(DEFAULT_TENANT_ID, {
      source: createReadStream(file),
      description: 'bench update',
      declaredSize: statSync(file).size,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * What a fleet sends most: `next` polls and unchanged inventory reports, over many devices'
 * tokens. Measured with no deployment at all, then with a finished deployment of every device.
 */
export const runPolling = async (
  dialect: DialectName,
  load: LoadGenerator,
  s: PollingSettings,
): Promise<PollingResults> => {
  const db = await createBenchDatabase(dialect);
  let server: BenchServer | undefined;
  try {
    server = await startBenchServer(db);
    const srv = server;
    const { gh, url } = srv;
    const measure = async (name: string, spec: Parameters<typeof measureHttp>[2]) => {
      srv.takeErrors();
      let r = await measureHttp(load, `${dialect}: ${name}`, spec, s);
      const serverErrors = srv.takeErrors();
      if (Object.keys(serverErrors).length > 0) r = { ...r, serverErrors };
      // Every next must have found nothing to do: a 200 would mean an active deployment.
      if (!r.problem && (r.statusCodes['200'] === undefined || r.statusCodes['204'] === undefined)) {
        r = {
          ...r,
          problem: `expected 200 (inventory) and 204 (next), got ${JSON.stringify(r.statusCodes)}`,
        };
      }
      return r;
    };

    s.log(`  ${dialect}: seeding ${s.pollDevices} accepted devices for polling`);
    const seedStart = process.hrtime.bigint();
    const fleet = await seedFleet(gh, s.pollDevices, 1_000_000);
    const seedSeconds = secondsSince(seedStart);

    // Steady state: every device has made requests before (its token signature is cached) and
    // has reported its inventory once, so a poll's inventory is unchanged.
    const prepareStart = process.hrtime.bigint();
    const deviceIds: string[] = new Array(fleet.length);
    const attributes = JSON.parse(POLL_INVENTORY_BODY) as unknown;
    await forEachConcurrently(fleet.length, 8, async (i) => {
      const p = await gh.devauth.device.checkToken((fleet[i] ?? { token: '' }).token);
      if (!p) throw new Error('seeded token refused');
      deviceIds[i] = p.deviceId;
      await gh.inventory.device.reportAttributes(p.tenantId, p.deviceId, attributes, 'replace');
    });
    const prepareSeconds = secondsSince(prepareStart);

    const spec = {
      connections: s.connections,
      url: `${url}${NEXT_PATH}`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json' },
      templates: [
        { method: 'POST' as const, path: NEXT_PATH, body: NEXT_BODY },
        {
          method: 'PUT' as const,
          path: '/api/devices/v1/inventory/device/attributes',
          body: POLL_INVENTORY_BODY,
        },
      ],
      variants: fleet.map((d) => ({ headers: { authorization: `Bearer ${d.token}` } })),
    };
    s.log(`  ${dialect}: polling (next + inventory), ${fleet.length} devices, no deployment`);
    const noDeployment = await measure(`polling, ${fleet.length} devices, no deployment`, spec);

    const missing = menderArtifactMissing();
    if (missing) {
      return {
        dialect,
        devices: fleet.length,
        seedSeconds,
        prepareSeconds,
        noDeployment,
        finishedDeployment: null,
        deployment: null,
        skipped: `finished-deployment case: ${missing}`,
      };
    }

    s.log(`  ${dialect}: deployment of ${POLL_UPDATE_ARTIFACT} to all ${fleet.length} devices`);
    await uploadUpdateArtifact(srv);
    const createStart = process.hrtime.bigint();
    const deployment = await gh.deployments.deployments.create(DEFAULT_TENANT_ID, {
      name: `bench rollout of ${POLL_UPDATE_ARTIFACT}`,
      artifactName: POLL_UPDATE_ARTIFACT,
      allDevices: true,
    });
    const createSeconds = secondsSince(createStart);
    // Some devices install it as a real device would: next hands out the update, success follows.
    const finishing = Math.min(s.finishingDevices, fleet.length);
    const provides = { artifact_name: POLL_CURRENT_ARTIFACT, device_type: POLL_DEVICE_TYPE };
    const finishStart = process.hrtime.bigint();
    await forEachConcurrently(finishing, 4, async (i) => {
      const device = { tenantId: DEFAULT_TENANT_ID, deviceId: deviceIds[i] as string };
      const update = await gh.deployments.device.next(device, provides, url);
      if (!update) throw new Error('next handed out no update for a device of an active deployment');
      await gh.deployments.device.reportStatus(device, deployment.id, 'success', undefined);
    });
    const finishSeconds = secondsSince(finishStart);
    // The rest in one statement: every device status change recounts the deployment's active
    // rows, so finishing 10,000 devices one by one takes minutes (see the README).
    const abortStart = process.hrtime.bigint();
    if (finishing < fleet.length) await gh.deployments.deployments.abort(DEFAULT_TENANT_ID, deployment.id);
    const abortSeconds = secondsSince(abortStart);
    const view = await gh.deployments.deployments.get(DEFAULT_TENANT_ID, deployment.id);
    const setup: DeploymentSetup = {
      createSeconds,
      finishedDevices: finishing,
      finishSeconds,
      devicesFinishedPerSecond: finishing / finishSeconds,
      abortSeconds,
      statistics: view.statistics as Record<string, number>,
      status: view.status,
    };
    if (view.status !== 'finished') throw new Error(`bench deployment is ${view.status}, not finished`);

    s.log(`  ${dialect}: polling (next + inventory), ${fleet.length} devices, finished deployment`);
    const finishedDeployment = await measure(`polling, ${fleet.length} devices, finished deployment`, spec);
    return {
      dialect,
      devices: fleet.length,
      seedSeconds,
      prepareSeconds,
      noDeployment,
      finishedDeployment,
      deployment: setup,
    };
  } finally {
    await server?.close();
    await db.drop();
  }
};
