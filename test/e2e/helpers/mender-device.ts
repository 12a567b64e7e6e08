import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MENDER_BIN } from './host.js';
import { generateKeyFile, type OpensslKeyKind, publicPemOf } from './keys.js';

/**
 * One simulated device: a private directory with mender.conf, an absolute --data dir and logs,
 * driven through the real Debian `mender` 3.4 binary (docs/compat/mender-clients.md#test-harness). The
 * identity script reads MENDER_ID_MAC / MENDER_ID_SERIAL from the environment we pass.
 */
export interface SimDeviceOptions {
  serverUrl: string;
  /** Defaults to a random locally administered MAC, so concurrent tests never share an identity. */
  mac?: string;
  /** Sent as `serialnumber` when set. */
  serial?: string;
  deviceType?: string;
  /**
   * mTLS (`HttpsClient`): the client certificate file (leaf first, intermediates may follow) and
   * its key. The 3.4 client then also signs its auth requests with this key, unless
   * `authPrivateKey` is set (docs/compat/mender-clients.md#tls-and-mtls).
   */
  httpsClient?: { certificate: string; key: string };
  /** `ServerCertificate`: the CA (or self-signed certificate) that the https server must chain to. */
  serverCertificate?: string;
  /** `Security.AuthPrivateKey`: a static auth-signing key that takes precedence over the mTLS key. */
  authPrivateKey?: string;
  /** Further identity lines printed by the identity script (MENDER_ID_EXTRA), e.g. {DeviceId: 'x'}. */
  extraIdentity?: Record<string, string>;
  /** Further mender.conf keys (e.g. ArtifactVerifyKey), merged over the defaults. */
  extraConfig?: Record<string, unknown>;
}

const live = new Set<SimDevice>();

// If the worker dies with daemons still running, do not leave them polling a dead port forever.
process.once('exit', () => {
  for (const d of live) d.killNow();
});

export const randomMac = (): string =>
  // 0x02: locally administered, unicast.
  ['02', ...[...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');

export class SimDevice {
  readonly root: string;
  readonly dataDir: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly outputPath: string;
  readonly mac: string;
  readonly serial: string | undefined;
  readonly extraIdentity: Readonly<Record<string, string>>;
  private daemon: ChildProcess | undefined;
  private daemonExit: Promise<void> | undefined;

  private constructor(opts: SimDeviceOptions) {
    this.root = mkdtempSync(join(tmpdir(), 'gh-mender-'));
    // --data must be absolute (a relative one breaks deployments); mkdtemp under tmpdir() is.
    this.dataDir = join(this.root, 'data');
    this.configPath = join(this.root, 'mender.conf');
    this.logPath = join(this.root, 'mender.log');
    this.outputPath = join(this.root, 'output.log');
    this.mac = opts.mac ?? randomMac();
    this.serial = opts.serial;
    this.extraIdentity = { ...opts.extraIdentity };
  }

  static async create(opts: SimDeviceOptions): Promise<SimDevice> {
    const d = new SimDevice(opts);
    live.add(d);
    await mkdir(d.dataDir, { mode: 0o700 });
    const conf = {
      ServerURL: opts.serverUrl,
      UpdatePollIntervalSeconds: 1,
      InventoryPollIntervalSeconds: 1,
      RetryPollIntervalSeconds: 1,
      DBus: { Enabled: false },
      ...(opts.serverCertificate ? { ServerCertificate: opts.serverCertificate } : {}),
      ...(opts.httpsClient
        ? { HttpsClient: { Certificate: opts.httpsClient.certificate, Key: opts.httpsClient.key } }
        : {}),
      ...(opts.authPrivateKey ? { Security: { AuthPrivateKey: opts.authPrivateKey } } : {}),
      ...opts.extraConfig,
    };
    await writeFile(d.configPath, `${JSON.stringify(conf, null, 2)}\n`);
    await writeFile(join(d.dataDir, 'device_type'), `device_type=${opts.deviceType ?? 'qemux86-64'}\n`);
    return d;
  }

  /** Where the client keeps (and, when absent, generates) its RSA-3072 key. */
  get keyPath(): string {
    return join(this.dataDir, 'mender-agent.pem');
  }

  /** The identity exactly as the client sends it (the identity script's key=value lines). */
  get identity(): Record<string, string> {
    const base: Record<string, string> =
      this.serial === undefined ? { mac: this.mac } : { mac: this.mac, serialnumber: this.serial };
    return { ...base, ...this.extraIdentity };
  }

  /** Generates a device key with openssl at <data>/mender-agent.pem; returns its public PEM. */
  async writeKey(kind: OpensslKeyKind): Promise<string> {
    await generateKeyFile(kind, this.keyPath);
    return publicPemOf(this.keyPath);
  }

  /** Installs an existing private key file as the device key. */
  async installKey(privateKeyPath: string): Promise<void> {
    await copyFile(privateKeyPath, this.keyPath);
    await chmod(this.keyPath, 0o600);
  }

  async publicPem(): Promise<string> {
    return publicPemOf(this.keyPath);
  }

  hasKey(): boolean {
    return existsSync(this.keyPath);
  }

  private args(command: string): string[] {
    return [
      '--no-syslog',
      '--log-level',
      'info',
      '--log-file',
      this.logPath,
      '--config',
      this.configPath,
      '--fallback-config',
      join(this.root, 'nonexistent.conf'),
      '--data',
      this.dataDir,
      command,
    ];
  }

  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MENDER_')) env[k] = v;
    env.MENDER_ID_MAC = this.mac;
    if (this.serial !== undefined) env.MENDER_ID_SERIAL = this.serial;
    const extra = Object.entries(this.extraIdentity);
    if (extra.length > 0) env.MENDER_ID_EXTRA = extra.map(([k, v]) => `${k}=${v}`).join('\n');
    return env;
  }

  private spawnMender(command: string): ChildProcess {
    const out = openSync(this.outputPath, 'a');
    try {
      return spawn(MENDER_BIN, this.args(command), { env: this.env(), stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
  }

  /** `mender ... bootstrap`: one auth request; exit 0 on 200, 1 on 401. */
  async bootstrap(timeoutMs = 30_000): Promise<number | null> {
    const child = this.spawnMender('bootstrap');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`mender bootstrap did not finish in ${timeoutMs} ms\n${this.logTail()}`));
      }, timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Starts `mender ... daemon` in the background. */
  startDaemon(): void {
    if (this.daemon) throw new Error('daemon already running');
    const child = this.spawnMender('daemon');
    this.daemon = child;
    this.daemonExit = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
  }

  get daemonPid(): number | undefined {
    return this.daemon?.pid;
  }

  isDaemonRunning(): boolean {
    return this.daemon !== undefined && this.daemon.exitCode === null && this.daemon.signalCode === null;
  }

  /** `kill -USR2`: the daemon sends its inventory now (there is no systemd for `send-inventory`). */
  sendInventoryNow(): void {
    if (!this.daemon || !this.isDaemonRunning()) throw new Error(`daemon is not running\n${this.logTail()}`);
    this.daemon.kill('SIGUSR2');
  }

  /** SIGTERM (a clean exit for the client), SIGKILL if it does not go within the timeout. */
  async stopDaemon(timeoutMs = 10_000): Promise<void> {
    const child = this.daemon;
    const exited = this.daemonExit;
    if (!child || !exited) return;
    if (this.isDaemonRunning()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    this.daemon = undefined;
    this.daemonExit = undefined;
  }

  killNow(): void {
    if (this.isDaemonRunning()) this.daemon?.kill('SIGKILL');
  }

  /** The end of the client's log and output, for failure messages. */
  logTail(lines = 25): string {
    const tail = (p: string) =>
      existsSync(p) ? readFileSync(p, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(none)';
    return `--- mender log (${this.mac}) ---\n${tail(this.logPath)}\n--- mender output ---\n${tail(this.outputPath)}`;
  }

  async dispose(): Promise<void> {
    await this.stopDaemon();
    live.delete(this);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/**
 * Stops every simulated device (call from afterEach, so daemons never outlive a failed test).
 * With `printLogs` (a failed test) the client logs go to stderr first.
 */
export const disposeAllDevices = async (opts: { printLogs?: boolean } = {}): Promise<void> => {
  if (opts.printLogs) for (const d of live) console.error(d.logTail(60));
  await Promise.all([...live].map((d) => d.dispose()));
};
