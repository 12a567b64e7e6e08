import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { CACHE_BOUNDS } from '../config/cache-bounds.js';
import type { Clock } from '../core/clock.js';
import { createLru, NO_OPTIONS } from '../core/lru.js';
import { pemCertificateDers } from '../core/pem.js';
import type { ClientCertVerification, VerifyClientCertificateInput } from '../pki/index.js';
import type { TrustedProxies } from './trusted-proxies.js';
import type { App } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The chain the client presented (TLS handshake, or the header of a trusted proxy), leaf first. */
    clientCertChain: readonly X509Certificate[] | null;
    clientCertSource: 'tls' | 'proxy' | null;
    /**
     * Verifies the presented chain against the CAs of one tenant (the caller knows it from a
     * path or tenant token) or, without a hint, of every tenant. Null when no chain was
     * presented. Lazy: only routes that use a certificate pay for its verification (device
     * polls over mTLS do not); the hint-less answer is remembered for the request.
     */
    verifyClientCert(tenantHint?: string): Promise<ClientCertVerification | null>;
  }
}

const MAX_HEADER_CERTS = 8;

/**
 * The chain in a proxy header: URL-encoded PEM as nginx's `$ssl_client_escaped_cert` sends it
 * (one or more certificates, leaf first), or plain PEM with its newlines replaced by spaces.
 */
export const parseClientCertHeader = (value: string): X509Certificate[] => {
  let text = value;
  if (text.includes('%')) text = decodeURIComponent(text);
  const out: X509Certificate[] = [];
  for (const der of pemCertificateDers(text)) {
    out.push(new X509Certificate(der));
    if (out.length >= MAX_HEADER_CERTS) break;
  }
  return out;
};

/**
 * Devices behind a proxy send the same header value on every request: parse it once per app
 * (bounded; Node's header size limit, 16 KiB by default, bounds each key). Certificates are
 * public; a header that does not parse throws and is not remembered.
 */
const createHeaderChainParser = (maxHeaders: number) => {
  const chains = createLru<string, X509Certificate[]>(maxHeaders);
  return (value: string): X509Certificate[] => {
    let chain = chains.get(value, NO_OPTIONS);
    if (!chain) {
      chain = parseClientCertHeader(value);
      chains.set(value, chain, NO_OPTIONS);
    }
    return chain;
  };
};

// The peer chain of a TLS connection does not change: parse it once per socket.
const socketChains = new WeakMap<Socket, X509Certificate[] | null>();

/** The chain the TLS client sent (leaf first), from Node's linked peer certificate objects. */
const tlsChain = (socket: Socket): X509Certificate[] | null => {
  if (!(socket as TLSSocket).encrypted) return null;
  if (socketChains.has(socket)) return socketChains.get(socket) ?? null;
  let chain: X509Certificate[] | null = null;
  const peer = (socket as TLSSocket).getPeerCertificate(true);
  if (peer?.raw) {
    chain = [];
    const seen = new Set<string>();
    for (
      let c: typeof peer | undefined = peer;
      c?.raw && chain.length < MAX_HEADER_CERTS;
      c = c.issuerCertificate
    ) {
      if (seen.has(c.fingerprint256)) break; // a self-signed root points at itself
      seen.add(c.fingerprint256);
      chain.push(new X509Certificate(c.raw));
    }
  }
  socketChains.set(socket, chain);
  return chain;
};

/**
 * Client-certificate authentication for every route (ADR 9): a certificate from the TLS
 * handshake of Gatehouse's own HTTPS listener, or, only when the TCP peer is a trusted proxy,
 * from the configured header. A trusted proxy's own TLS certificate is never taken for a device's.
 * Requests without a certificate pass untouched: routes decide whether they need one.
 */
export const installClientCertAuth = (
  app: App,
  deps: {
    /** The PKI domain's verifier (its caches are the app instance's). */
    verifyClientCertificate: (input: VerifyClientCertificateInput) => Promise<ClientCertVerification>;
    clock: Clock;
    trustedProxies: TrustedProxies;
    clientCertHeader: string | undefined;
  },
): void => {
  const header = deps.clientCertHeader?.toLowerCase();
  const headerChain = createHeaderChainParser(CACHE_BOUNDS.proxyCertificateHeaders);
  const verified = new WeakMap<FastifyRequest, Promise<ClientCertVerification>>();
  app.decorateRequest('clientCertChain', null);
  app.decorateRequest('clientCertSource', null);
  app.decorateRequest('verifyClientCert', async function (this: FastifyRequest, tenantHint?: string) {
    const chain = this.clientCertChain;
    if (!chain) return null;
    const verify = (hint?: string) =>
      deps.verifyClientCertificate({ chain, tenantHint: hint, nowMs: deps.clock.nowMs() });
    let all = verified.get(this);
    if (!all) {
      all = verify();
      verified.set(this, all);
    }
    const result = await all;
    if (tenantHint === undefined || (result.ok && result.tenantId === tenantHint)) {
      if (!result.ok)
        this.log.info({ reason: result.reason, detail: result.detail }, 'client certificate refused');
      return result;
    }
    // A CA registered in several tenants (ambiguous without a hint), or another tenant's CA.
    return verify(tenantHint);
  });

  // Callback style, no promise: this runs on every request, device polls included.
  app.addHook('onRequest', (req, _reply, done) => {
    const socket = req.raw.socket;
    let chain: X509Certificate[] | null = null;
    if (deps.trustedProxies.has(socket.remoteAddress)) {
      const value = header ? req.headers[header] : undefined;
      if (typeof value === 'string' && value !== '') {
        try {
          chain = headerChain(value);
        } catch (e) {
          req.log.info({ err: (e as Error).message }, 'unparseable client certificate header from proxy');
        }
        if (chain?.length === 0) chain = null;
        req.clientCertSource = chain ? 'proxy' : null;
      }
    } else {
      if (header && req.headers[header] !== undefined)
        req.log.debug(
          { peer: socket.remoteAddress },
          'client certificate header ignored: peer is not a trusted proxy',
        );
      try {
        chain = tlsChain(socket);
      } catch (e) {
        req.log.info({ err: (e as Error).message }, 'unreadable TLS client certificate');
      }
      req.clientCertSource = chain ? 'tls' : null;
    }
    req.clientCertChain = chain;
    done();
  });
};
