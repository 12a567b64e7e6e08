import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import { type ConnectionLimits, limitConnectionsPerAddress, nodeServerOptions } from './connection-limits.js';
import type { TrustedProxies } from './trusted-proxies.js';
import type { App } from './types.js';

export class TlsConfigError extends Error {}

export interface TlsListener {
  readonly server: Server;
  /** Listens; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting, closes idle keep-alive connections, and after `graceMs` every other one. */
  close(graceMs: number): Promise<void>;
}

const readPem = (file: string, what: string): Buffer => {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new TlsConfigError(`cannot read the TLS ${what} file ${file}: ${(e as Error).message}`);
  }
};

/**
 * Gatehouse's own HTTPS listener (ADR 9): the same Fastify app as the HTTP listener, served by a
 * second server through `app.routing`, so every route, hook and schema is shared. The server asks
 * for a client certificate but accepts connections without one or with one it cannot verify
 * (`rejectUnauthorized: false`): devices without certificates keep using the normal flows on this
 * port, and the application decides (src/http/client-cert.ts) what a presented chain is worth,
 * against the tenants' registered CAs, which a TLS trust store could not express per tenant.
 */
export const createTlsListener = (
  app: App,
  opts: { certFile: string; keyFile: string; limits: ConnectionLimits; trustedProxies: TrustedProxies },
): TlsListener => {
  const cert = readPem(opts.certFile, 'certificate');
  const key = readPem(opts.keyFile, 'key');
  try {
    createSecureContext({ cert, key });
  } catch (e) {
    throw new TlsConfigError(
      `invalid TLS certificate/key (${opts.certFile}, ${opts.keyFile}): ${(e as Error).message}`,
    );
  }
  const { limits } = opts;
  const server = createServer(
    {
      cert,
      key,
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      // The same timeouts as the HTTP listener (docs/limits.md); the handshake counts as headers.
      ...nodeServerOptions(limits),
      handshakeTimeout: limits.headersTimeoutMs,
    },
    (req, res) => app.routing(req, res),
  );
  // The body deadline is a hook of the app, so it applies here too; the idle timeout is per socket.
  server.setTimeout(limits.idleTimeoutMs);
  limitConnectionsPerAddress(server, limits, opts.trustedProxies);
  server.on('clientError', (_err, socket) => socket.destroy());
  return {
    server,
    listen: (host, port) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      }),
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
};
