import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_TENANT_ID } from '../../../src/tenants/index.js';
import { MENDER_ARTIFACT, makeRootfsArtifact, makeSingleFileArtifact } from '../../helpers/artifacts.js';
import type { SimDevice } from './mender-device.js';
import type { RecordedRequest, RecordedServer } from './recorded-server.js';
import { waitFor } from './wait.js';

/**
 * Helpers for the OTA e2e tests (test/e2e/mender-ota*.test.ts): the real mender-cli 1.9 and
 * mender-artifact 3.9 (docs/compat/mender-clients.md#mender-artifact, #mender-cli), and the deployments
 * management API (docs/compat/mender-management.md#deployments) over real HTTP.
 */

export const MENDER_CLI = '/usr/bin/mender-cli';
/** Tools the OTA tests need besides the client itself (host.ts checks the client). */
export const OTA_TOOLS = [MENDER_ARTIFACT, MENDER_CLI] as const;

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * mender-cli with a private HOME (~/.mender-clirc) and XDG_CACHE_HOME (the login token), so tests
 * never share or leak a login. Always async: the server answering it runs in this process.
 */
export class MenderCli {
  readonly home: string;

  constructor(readonly serverUrl: string) {
    this.home = mkdtempSync(join(tmpdir(), 'gh-ota-cli-'));
    mkdirSync(join(this.home, 'cache'));
  }

  run(...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        MENDER_CLI,
        ['--server', this.serverUrl, ...args],
        {
          env: { PATH: process.env.PATH, HOME: this.home, XDG_CACHE_HOME: join(this.home, 'cache') },
          timeout: 60_000,
          maxBuffer: 16 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          // Without ~/.mender-clirc it prints this notice on stdout, ahead of the output proper.
          const out = String(stdout).replace(/^Configuration file not found\. Continuing\.\n/, '');
          resolve({ code, stdout: out, stderr: String(stderr) });
        },
      );
    });
  }

  /** Runs a command that must succeed; the error shows what mender-cli said. */
  async ok(...args: string[]): Promise<CliResult> {
    const r = await this.run(...args);
    if (r.code !== 0) {
      throw new Error(
        `mender-cli ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
      );
    }
    return r;
  }

  login(email: string, password: string): Promise<CliResult> {
    return this.ok('login', '--username', email, '--password', password);
  }

  upload(file: string): Promise<CliResult> {
    return this.run('artifacts', 'upload', '--no-progress', file);
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A user of the default tenant with a known password, for `mender-cli login`. */
export const createCliUser = async (server: RecordedServer): Promise<{ email: string; password: string }> => {
  const email = `ota-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const password = 'ota e2e password 1';
  await server.gh.users.service.create({ tenantId: DEFAULT_TENANT_ID, email, password });
  return { email, password };
};

/** Artifacts built with the real mender-artifact; every file lives in a temp dir removed by dispose(). */
export class ArtifactBuilder {
  private readonly dirs: string[] = [];

  private keep(path: string): string {
    this.dirs.push(dirname(path));
    return path;
  }

  singleFile(opts: Parameters<typeof makeSingleFileArtifact>[0]): string {
    return this.keep(makeSingleFileArtifact(opts));
  }

  rootfs(opts: Parameters<typeof makeRootfsArtifact>[0]): string {
    return this.keep(makeRootfsArtifact(opts));
  }

  /**
   * An EC P-256 signing key in the "traditional" SEC1 PEM that mender-artifact 3.9 needs (a PKCS#8
   * key is refused, docs/compat/mender-clients.md#mender-artifact), and its public
   * key (SPKI PEM) for the client's ArtifactVerifyKey.
   */
  async signingKey(): Promise<{ privateKeyPath: string; publicKeyPath: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'gh-ota-key-'));
    this.dirs.push(dir);
    const pkcs8 = join(dir, 'pkcs8.pem');
    const privateKeyPath = join(dir, 'signing-key.pem');
    const publicKeyPath = join(dir, 'verify-key.pem');
    await run('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      pkcs8,
    ]);
    await run('openssl', ['ec', '-in', pkcs8, '-out', privateKeyPath]);
    await run('openssl', ['pkey', '-in', pkcs8, '-pubout', '-out', publicKeyPath]);
    await chmod(privateKeyPath, 0o600);
    return { privateKeyPath, publicKeyPath };
  }

  /** An empty temp dir for hand-made files (e.g. damaged copies), removed by dispose(). */
  scratchDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'gh-ota-scratch-'));
    this.dirs.push(dir);
    return dir;
  }

  dispose(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export interface ArtifactJson {
  id: string;
  name: string;
  signed: boolean;
  size: number;
  device_types_compatible: string[];
}

export interface DeploymentJson {
  id: string;
  name: string;
  artifact_name: string;
  status: 'pending' | 'inprogress' | 'finished';
  finished?: string;
  device_count: number;
  max_devices: number;
  artifacts: string[];
  statistics: { status: Record<string, number> };
}

export interface DeviceDeploymentJson {
  id: string;
  status: string;
  log: boolean;
}

const D = '/api/management/v1/deployments';

/**
 * The deployments and inventory management API, as the admin's tools call it
 * (docs/compat/mender-management.md).
 */
export const otaApi = (server: RecordedServer) => {
  const { call } = server.mgmt;
  const expectStatus = <T>(r: { status: number; body: T }, status: number, what: string): T => {
    if (r.status !== status)
      throw new Error(`${what}: expected HTTP ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return {
    listArtifacts: async () =>
      expectStatus(await call<ArtifactJson[]>('GET', `${D}/artifacts`), 200, 'list artifacts'),
    getArtifact: (id: string) => call<ArtifactJson>('GET', `${D}/artifacts/${id}`),

    /** POST /deployments/deployments for a list of devices; returns the id from Location. */
    async createDeployment(name: string, artifactName: string, devices: string[]): Promise<string> {
      const r = await call('POST', `${D}/deployments`, { name, artifact_name: artifactName, devices });
      expectStatus(r, 201, `create deployment ${name}`);
      const id = /deployments\/deployments\/([^/]+)$/.exec(r.headers.get('location') ?? '')?.[1];
      if (!id) throw new Error(`create deployment: no id in Location ${r.headers.get('location')}`);
      return id;
    },
    getDeployment: async (id: string) =>
      expectStatus(await call<DeploymentJson>('GET', `${D}/deployments/${id}`), 200, 'get deployment'),
    statistics: async (id: string) =>
      expectStatus(
        await call<Record<string, number>>('GET', `${D}/deployments/${id}/statistics`),
        200,
        'deployment statistics',
      ),
    deploymentDevices: async (id: string) =>
      expectStatus(
        await call<DeviceDeploymentJson[]>('GET', `${D}/deployments/${id}/devices/list`),
        200,
        'deployment devices',
      ),
    abort: async (id: string) =>
      (await call('PUT', `${D}/deployments/${id}/status`, { status: 'aborted' })).status,
    deviceLog: (id: string, deviceId: string) =>
      call<string>('GET', `${D}/deployments/${id}/devices/${deviceId}/log`),

    /** The device's attributes of the `inventory` scope (what the client reported), by name. */
    async inventoryOf(deviceId: string): Promise<Record<string, unknown>> {
      const body = expectStatus(
        await call<{ attributes: { name: string; value: unknown; scope: string }[] }>(
          'GET',
          `/api/management/v1/inventory/devices/${deviceId}`,
        ),
        200,
        'inventory device',
      );
      return Object.fromEntries(
        body.attributes.filter((a) => a.scope === 'inventory').map((a) => [a.name, a.value]),
      );
    },
  };
};

export type OtaApi = ReturnType<typeof otaApi>;

/** Status reports the server received for one deployment, in arrival order. */
export const statusReports = (server: RecordedServer, deploymentId: string): RecordedRequest[] =>
  server.requests
    .filter((r) => r.deploymentId === deploymentId && r.reportedStatus !== undefined)
    .sort((a, b) => a.seq - b.seq);

/** The statuses reported for a deployment, with consecutive repeats collapsed into one. */
export const reportedSequence = (server: RecordedServer, deploymentId: string): string[] =>
  statusReports(server, deploymentId)
    .map((r) => r.reportedStatus as string)
    .filter((s, i, all) => i === 0 || all[i - 1] !== s);

/** Waits until the device's row in the deployment reaches a finished status; returns it. */
export const waitForDeviceOutcome = (
  api: OtaApi,
  server: RecordedServer,
  device: SimDevice,
  deploymentId: string,
  deviceId: string,
  opts: { timeoutMs?: number } = {},
): Promise<DeviceDeploymentJson> =>
  waitFor(
    `device ${deviceId} to finish deployment ${deploymentId}`,
    async () => {
      const row = (await api.deploymentDevices(deploymentId)).find((d) => d.id === deviceId);
      if (!row || ['pending', 'downloading', 'installing', 'rebooting'].includes(row.status))
        return undefined;
      // A status the device reported is in the record only once its response is sent, a moment
      // after the change is visible: wait for it, so that callers can inspect the whole sequence.
      const reportedByDevice = ['success', 'failure', 'already-installed'].includes(row.status);
      const recorded = statusReports(server, deploymentId).some((r) => r.reportedStatus === row.status);
      return !reportedByDevice || recorded ? row : undefined;
    },
    {
      timeoutMs: opts.timeoutMs ?? 45_000,
      intervalMs: 250,
      diagnostics: () => `${server.describeRequests(60)}\n${device.logTail(40)}`,
    },
  );

/** Every file under `dir`, relative to it (none if it does not exist). */
/** Temporary upload files under a blob directory (each process's owner.json is not one). */
export const tempUploadFiles = (blobsDir: string): string[] =>
  filesUnder(join(blobsDir, '.tmp')).filter((f) => !/(^|\/)owner\.json/.test(f));

export const filesUnder = (dir: string): string[] => {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
};
