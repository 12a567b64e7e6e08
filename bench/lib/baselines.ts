import { createPublicKey, verify } from 'node:crypto';
import Fastify from 'fastify';
import { parseAuthRequest } from '../../src/devauth/auth-request.js';
import { verifyDeviceSignature } from '../../src/devauth/pubkey.js';
import type { SignedAuthRequest } from './gatehouse.js';
import { type MicroResult, timeSync } from './micro.js';

export interface SignatureBaseline {
  kind: string;
  bodyBytes: number;
  /** Baseline A: node:crypto verify with an already-imported key, one thread. */
  rawVerify: MicroResult;
  /**
   * What the server does per auth request before touching the database (JSON parse, identity
   * canonicalisation, public key import from PEM, verify). The gap to rawVerify is avoidable work.
   */
  authRequestChecks: MicroResult;
}

export const measureSignatureBaseline = (req: SignedAuthRequest, ms: number): SignatureBaseline => {
  const key = createPublicKey(req.keys.publicPem);
  const sig = Buffer.from(req.signature, 'base64');
  const alg = req.kind === 'ed25519' ? null : 'sha256';
  if (!verify(alg, req.authBody, key, sig))
    throw new Error(`${req.kind}: baseline signature does not verify`);
  const rawVerify = timeSync(() => verify(alg, req.authBody, key, sig), ms);
  // What verifyAuthRequest does, on this thread: the parse, then the same signature check.
  const checks = () => {
    const parsed = parseAuthRequest(req.authBody, req.signature, undefined);
    return verifyDeviceSignature(parsed.pubkey, req.authBody, parsed.signature);
  };
  if (!checks()) throw new Error(`${req.kind}: the server would refuse this auth request`);
  const authRequestChecks = timeSync(checks, ms);
  return { kind: req.kind, bodyBytes: req.authBody.length, rawVerify, authRequestChecks };
};

export const BARE_PATH = '/bare';

/** Baseline B: a fresh Fastify with one GET route returning a small JSON, listening on 127.0.0.1. */
export const startBareFastify = async (): Promise<{ url: string; close(): Promise<void> }> => {
  const app = Fastify({ logger: false });
  app.get(BARE_PATH, async () => ({ status: 'ok' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('bare server has no TCP address');
  return { url: `http://127.0.0.1:${addr.port}`, close: () => app.close() };
};

/**
 * Baseline B's rate when the load generator is not the limit: the requests a bare route serves
 * per second of its server's CPU time (its rate ÷ the server's CPU share of one core, the bare
 * server being one thread). On a machine where the generator and the server share the cores,
 * the generator tops out first on a route this cheap (its CPU near 100% while the server idles
 * part of the time), so the rate it reaches understates the route; the server's own CPU time per
 * request does not depend on how fast requests arrive. The mean over the valid runs.
 */
export const bareCapacity = (runs: readonly { rps: number; serverCpu: number; problem: string | null }[]) => {
  const ok = runs.filter((r) => !r.problem && r.serverCpu > 0);
  return ok.length === 0
    ? null
    : ok.reduce((sum, r) => sum + r.rps / Math.min(1, r.serverCpu), 0) / ok.length;
};
