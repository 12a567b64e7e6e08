import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Socket } from 'node:net';
import type { Config } from '../config/config.js';
import { sourceKey } from '../limits/index.js';
import type { TrustedProxies } from './trusted-proxies.js';
import type { App } from './types.js';

/**
 * Timeouts and connection limits of every listener (docs/limits.md), against connections that
 * hold a slot without finishing a request (slowloris, slow bodies, stalled readers). The same
 * for the HTTP listener (Fastify's server) and the TLS one (src/http/tls.ts).
 */
export interface ConnectionLimits {
  /** From connecting (or a further request's first byte) to the end of the headers; also the TLS handshake. */
  headersTimeoutMs: number;
  /** Time for a request body, extended by one second per `bodyMinBytesPerSecond` bytes received. */
  bodyTimeoutMs: number;
  bodyMinBytesPerSecond: number;
  keepAliveTimeoutMs: number;
  /** No traffic either way for this long while a request is open: closed. 0: never. */
  idleTimeoutMs: number;
  /** Open connections per client address (IPv6: per /64) and listener; 0: unlimited. */
  maxConnectionsPerAddress: number;
}

export const connectionLimitsOf = (config: Readonly<Config>): ConnectionLimits => ({
  headersTimeoutMs: config.headersTimeoutSeconds * 1000,
  bodyTimeoutMs: config.bodyTimeoutSeconds * 1000,
  bodyMinBytesPerSecond: config.bodyMinBytesPerSecond,
  keepAliveTimeoutMs: config.keepAliveTimeoutSeconds * 1000,
  idleTimeoutMs: config.idleTimeoutSeconds * 1000,
  maxConnectionsPerAddress: config.maxConnectionsPerAddress,
});

/**
 * Node's options for a listener. Node checks the headers deadline every
 * `connectionsCheckingInterval` (30 s by default), so that interval is made short: a connection
 * is closed within about a second of its deadline. Node's own total request timeout is off: it
 * would cut multi-GB artifact uploads; the body deadline below replaces it.
 */
export const nodeServerOptions = (l: ConnectionLimits): ServerOptions => ({
  headersTimeout: l.headersTimeoutMs,
  requestTimeout: 0,
  keepAliveTimeout: l.keepAliveTimeoutMs,
  connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(l.headersTimeoutMs / 4))),
});

/** The same options in Fastify's terms (it sets keepAliveTimeout, requestTimeout and the socket timeout itself). */
export const fastifyServerOptions = (l: ConnectionLimits) => ({
  http: nodeServerOptions(l),
  keepAliveTimeout: l.keepAliveTimeoutMs,
  requestTimeout: 0,
  connectionTimeout: l.idleTimeoutMs,
});

/**
 * Closes connections beyond `maxConnectionsPerAddress` from one address as soon as they open.
 * Trusted proxies are exempt: behind one, every client shares its address.
 */
export const limitConnectionsPerAddress = (
  server: HttpServer | HttpsServer,
  l: ConnectionLimits,
  trustedProxies: TrustedProxies,
): void => {
  if (l.maxConnectionsPerAddress <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    if (trustedProxies.has(socket.remoteAddress)) return;
    const key = sourceKey(socket.remoteAddress);
    const n = (open.get(key) ?? 0) + 1;
    if (n > l.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(key, n);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });
};

/**
 * The body deadline (as Apache's mod_reqtimeout `body=...,MinRate=...`): a request body must
 * arrive within `bodyTimeoutMs`, extended by a second for every `bodyMinBytesPerSecond` bytes
 * received so far. A steady multi-GB upload never runs out; a body trickled a byte at a time is
 * cut after about `bodyTimeoutMs`. Progress is read from the socket's byte counter, so nothing
 * here touches the body stream itself. On expiry the connection is closed: the handler may be
 * reading the body, so no answer can be sent safely.
 */
export const installBodyDeadline = (app: App, l: ConnectionLimits): void => {
  app.addHook('onRequest', (req, _reply, done) => {
    const raw = req.raw;
    const socket = raw.socket;
    const headers = raw.headers;
    const hasBody =
      headers['transfer-encoding'] !== undefined ||
      (headers['content-length'] !== undefined && headers['content-length'] !== '0');
    // inject() requests have no real socket and their bodies are complete.
    if (!hasBody || raw.complete || !(socket instanceof Socket)) return done();
    const startMs = Date.now();
    const startBytes = socket.bytesRead;
    let timer: NodeJS.Timeout | undefined;
    const stop = () => clearTimeout(timer);
    const check = () => {
      if (raw.complete || socket.destroyed) return;
      const received = socket.bytesRead - startBytes;
      const allowedMs =
        l.bodyTimeoutMs + (l.bodyMinBytesPerSecond > 0 ? (received / l.bodyMinBytesPerSecond) * 1000 : 0);
      const leftMs = startMs + allowedMs - Date.now();
      if (leftMs > 0) {
        timer = setTimeout(check, Math.max(leftMs, 250)).unref();
        return;
      }
      req.log.info(
        { receivedBytes: received, elapsedMs: Date.now() - startMs },
        'request body too slow: connection closed',
      );
      socket.destroy();
    };
    timer = setTimeout(check, l.bodyTimeoutMs).unref();
    raw.once('end', stop);
    raw.once('close', stop);
    done();
  });
};
