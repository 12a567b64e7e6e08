import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { buildApp } from '../../../src/app.js';
import { type ConfigFlags, loadConfig } from '../../../src/config/config.js';
import { connectionLimitsOf } from '../../../src/http/connection-limits.js';
import { createTlsListener, type TlsListener } from '../../../src/http/tls.js';
import { createTrustedProxies } from '../../../src/http/trusted-proxies.js';
import type { App } from '../../../src/http/types.js';
import { type Gatehouse, openGatehouse } from '../../../src/wiring.js';
import { createTestDatabase, type DialectName, type TestDatabase } from '../../helpers/databases.js';
import { adminToken } from '../../helpers/gatehouse.js';
import { type ManagementClient, managementClient } from './management-api.js';

export const AUTH_PATH = '/api/devices/v1/authentication/auth_requests';
export const INVENTORY_PATH = '/api/devices/v1/inventory/device/attributes';
export const DEPLOYMENT_STATUS_PATH =
  /^\/api\/devices\/v1\/deployments\/device\/deployments\/([^/]+)\/status$/;

/** One request as the server answered it. */
export interface RecordedRequest {
  /** Arrival order (assigned when the request reaches the HTTP server, before any hook runs). */
  seq: number;
  method: string;
  path: string;
  statusCode: number;
  /** Claims of the Bearer JWT, decoded without verification (absent for non-JWT bearers). */
  jti?: string;
  sub?: string;
  /** For auth requests: the `mac` in the signed body's id_data. */
  authMac?: string;
  /** For auth requests: the `pubkey` in the signed body. */
  authPubkey?: string;
  /** The request's Host header (links are built from it when no public URL is configured). */
  host?: string;
  /** The request's Range header, if any (a resumed artifact download). */
  range?: string;
  /** For deployment status reports: the deployment id in the path and the `status` in the body. */
  deploymentId?: string;
  reportedStatus?: string;
  /** The response's Content-Length header, if any. */
  contentLength?: string;
  /** Where a client certificate came from (TLS handshake or a trusted proxy's header), if any. */
  clientCertSource?: 'tls' | 'proxy';
  /** The CN of a client certificate Gatehouse verified, or why it refused the presented one. */
  clientCertCn?: string;
  clientCertFailure?: string;
  /** How many certificates the client presented (leaf first). */
  clientCertChainLength?: number;
}

/**
 * Runs in a root preHandler hook (after the device-token check) for every request; it may delay
 * the request (await something) or act on the reply. Tests use it to act at an exact step of the
 * real client's sequence, or to inject a network fault.
 */
export type Interceptor = (req: FastifyRequest, reply: FastifyReply) => void | Promise<void>;

export interface RecordedServer {
  gh: Gatehouse;
  app: App;
  url: string;
  /** The HTTPS (mTLS-capable) listener, when started with `tls`. */
  tlsUrl: string | undefined;
  db: TestDatabase;
  requests: RecordedRequest[];
  /** The arrival number of the latest request so far: later requests have a higher `seq`. */
  mark(): number;
  /** A logged-in admin of the default tenant, talking to the management API over HTTP. */
  mgmt: ManagementClient;
  /** Adds an interceptor (see Interceptor); returns a function that removes it. */
  intercept(fn: Interceptor): () => void;
  /** The last `n` recorded requests, one per line, for failure messages. */
  describeRequests(n?: number): string;
  close(): Promise<void>;
}

const jwtClaims = (authorization: string | undefined): { jti?: string; sub?: string } => {
  const m = /^bearer\s+(\S+)$/i.exec(authorization ?? '');
  const payload = m?.[1]?.split('.').length === 3 ? m[1].split('.')[1] : undefined;
  if (payload === undefined) return {};
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    return {
      ...(typeof claims.jti === 'string' ? { jti: claims.jti } : {}),
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
    };
  } catch {
    return {};
  }
};

const authRequestFields = (body: unknown): { authMac?: string; authPubkey?: string } => {
  if (!Buffer.isBuffer(body)) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { id_data?: unknown; pubkey?: unknown };
    const id = typeof parsed.id_data === 'string' ? (JSON.parse(parsed.id_data) as { mac?: unknown }) : {};
    return {
      ...(typeof id.mac === 'string' ? { authMac: id.mac } : {}),
      ...(typeof parsed.pubkey === 'string' ? { authPubkey: parsed.pubkey } : {}),
    };
  } catch {
    return {};
  }
};

/**
 * A real listening Gatehouse (127.0.0.1, ephemeral port) on a fresh database, built from
 * openGatehouse + buildApp like startServer does, plus hooks that record every request: method,
 * path, status and the token id the device used. Tests read the record to see what the real
 * client did and what it was answered.
 */
export const startRecordedServer = async (
  dialect: DialectName,
  opts: {
    /** Further settings, as `gatehouse serve` flags would give them (e.g. trustedProxies). */
    flags?: ConfigFlags;
    /** Also serve HTTPS on 127.0.0.1 (like --tls-listen), with this certificate and key. */
    tls?: { certFile: string; keyFile: string };
  } = {},
): Promise<RecordedServer> => {
  const db = await createTestDatabase(dialect);
  let gh: Gatehouse | undefined;
  let app: App | undefined;
  let tls: TlsListener | undefined;
  try {
    const config = loadConfig(
      {
        dataDir: db.dataDir,
        databaseUrl: db.url,
        listen: '127.0.0.1:0',
        logLevel: 'silent',
        ...opts.flags,
        ...(opts.tls
          ? { tlsListen: '127.0.0.1:0', tlsCertFile: opts.tls.certFile, tlsKeyFile: opts.tls.keyFile }
          : {}),
      },
      {},
    );
    gh = await openGatehouse(config);
    app = await buildApp(gh);
    const requests: RecordedRequest[] = [];
    // Arrival order is taken on the raw server, ahead of Fastify: a root onRequest hook added
    // here would run after the device-token hook of the (already registered) device routes, and
    // not at all for requests that hook refuses.
    const arrival = new WeakMap<IncomingMessage, number>();
    let seq = 0;
    const onArrival = (raw: IncomingMessage) => {
      seq += 1;
      arrival.set(raw, seq);
    };
    app.server.prependListener('request', onArrival);
    if (opts.tls) {
      tls = createTlsListener(app, {
        ...opts.tls,
        limits: connectionLimitsOf(config),
        trustedProxies: createTrustedProxies(config.trustedProxies),
      });
      tls.server.prependListener('request', onArrival);
    }
    const interceptors = new Set<Interceptor>();
    app.addHook('preHandler', async (req, reply) => {
      for (const fn of [...interceptors]) await fn(req, reply);
    });
    app.addHook('onResponse', async (req, reply) => {
      const path = req.url.split('?')[0] ?? req.url;
      const statusMatch = req.method === 'PUT' ? DEPLOYMENT_STATUS_PATH.exec(path) : null;
      const reported = (req.body as { status?: unknown } | undefined)?.status;
      const contentLength = reply.getHeader('content-length');
      const cert = await req.verifyClientCert();
      requests.push({
        seq: arrival.get(req.raw) ?? -1,
        method: req.method,
        path,
        statusCode: reply.statusCode,
        ...jwtClaims(req.headers.authorization),
        ...(path === AUTH_PATH ? authRequestFields(req.body) : {}),
        ...(req.headers.host !== undefined ? { host: req.headers.host } : {}),
        ...(req.headers.range !== undefined ? { range: req.headers.range } : {}),
        ...(statusMatch?.[1] !== undefined ? { deploymentId: statusMatch[1] } : {}),
        ...(statusMatch && typeof reported === 'string' ? { reportedStatus: reported } : {}),
        ...(contentLength !== undefined ? { contentLength: String(contentLength) } : {}),
        ...(req.clientCertSource ? { clientCertSource: req.clientCertSource } : {}),
        ...(cert?.ok ? { clientCertCn: cert.leaf.cn ?? '' } : {}),
        ...(cert && !cert.ok ? { clientCertFailure: cert.reason } : {}),
        ...(req.clientCertChain ? { clientCertChainLength: req.clientCertChain.length } : {}),
      });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    if (!addr || typeof addr !== 'object') throw new Error('server has no TCP address');
    const url = `http://127.0.0.1:${addr.port}`;
    const tlsUrl = tls ? `https://127.0.0.1:${await tls.listen('127.0.0.1', 0)}` : undefined;
    const { token } = await adminToken(gh);
    const openedGh = gh;
    const openedApp = app;
    const openedTls = tls;
    return {
      gh,
      app,
      url,
      tlsUrl,
      db,
      requests,
      mark: () => seq,
      mgmt: managementClient(url, token),
      intercept: (fn) => {
        interceptors.add(fn);
        return () => interceptors.delete(fn);
      },
      describeRequests: (n = 200) =>
        `--- last ${n} requests (seq method path status jti mac) ---\n${requests
          .slice(-n)
          .map(
            (r) =>
              `${r.seq} ${r.method} ${r.path} ${r.statusCode}${r.jti ? ` jti=${r.jti}` : ''}${r.authMac ? ` mac=${r.authMac}` : ''}${r.reportedStatus ? ` status=${r.reportedStatus}` : ''}${r.range ? ` range=${r.range}` : ''}${r.clientCertSource ? ` cert=${r.clientCertSource}:${r.clientCertCn ?? r.clientCertFailure}/${r.clientCertChainLength}` : ''}`,
          )
          .join('\n')}`,
      close: async () => {
        try {
          await openedTls?.close(1_000);
          await openedApp.close();
        } finally {
          await openedGh.close();
          await db.drop();
        }
      },
    };
  } catch (e) {
    await tls?.close(0).catch(() => {});
    await app?.close().catch(() => {});
    await gh?.close().catch(() => {});
    await db.drop().catch(() => {});
    throw e;
  }
};
