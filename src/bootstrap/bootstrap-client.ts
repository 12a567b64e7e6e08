import { randomBytes } from 'node:crypto';
import { cfbDecrypt, cfbEncrypt, parseEncryptKey } from './bootstrap-crypto-cfb.js';
import { deviceV2Exchange } from './bootstrap-crypto-v2.js';

/**
 * A device's side of every bootstrap protocol over HTTP: what `gatehouse bootstrap fetch` runs to
 * simulate a device (the one CLI command that talks HTTP instead of calling services, because its
 * point is to act as a device; docs/adr/0008-bootstrap.md).
 */
export interface FetchOptions {
  /** The Gatehouse base URL (e.g. http://127.0.0.1:8080); routes are under `<url>/bootstrap`. */
  url: string;
  externalId: string;
  externalKey: string;
  mode: 'plain' | 'secure' | 'v2';
  /** Secure mode: the fleet-wide key (16/24/32 bytes). */
  encryptKey?: string;
  /** v2: the tenant (Magistrala domain) id. */
  tenantId?: string;
}

export class BootstrapFetchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const failed = async (res: Response): Promise<never> => {
  let message = res.statusText;
  try {
    message = ((await res.json()) as { error?: string }).error ?? message;
  } catch {}
  const retry = res.headers.get('retry-after');
  throw new BootstrapFetchError(
    res.status,
    `${res.status} ${message}${retry ? ` (retry after ${retry} s)` : ''}`,
  );
};

export const fetchBootstrap = async (o: FetchOptions): Promise<unknown> => {
  const base = `${o.url.replace(/\/+$/, '')}/bootstrap`;
  const eid = encodeURIComponent(o.externalId);
  if (o.mode === 'plain') {
    const res = await fetch(`${base}/clients/bootstrap/${eid}`, {
      headers: { authorization: `Client ${o.externalKey}` },
    });
    if (!res.ok) return failed(res);
    return res.json();
  }
  if (o.mode === 'secure') {
    if (o.encryptKey === undefined) throw new Error('secure mode needs the encrypt key');
    const key = parseEncryptKey(o.encryptKey);
    const header = cfbEncrypt(key, Buffer.from(o.externalKey, 'utf8'), randomBytes(16)).toString('hex');
    const res = await fetch(`${base}/clients/bootstrap/secure/${eid}`, {
      headers: { authorization: `Client ${header}` },
    });
    if (!res.ok) return failed(res);
    const plain = cfbDecrypt(key, Buffer.from(await res.arrayBuffer()));
    if (!plain) throw new Error('secure response shorter than an IV');
    return JSON.parse(plain.toString('utf8'));
  }
  if (o.tenantId === undefined) throw new Error('v2 needs the tenant (domain) id');
  const v2 = `${base}/v2/${encodeURIComponent(o.tenantId)}`;
  const post = (path: string, body: unknown) =>
    fetch(`${v2}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const ch = await post('challenges', { external_id: o.externalId });
  if (!ch.ok) return failed(ch);
  const challenge = (await ch.json()) as { challenge_id: string; server_nonce: string };
  const exchange = deviceV2Exchange({
    tenantId: o.tenantId,
    externalId: o.externalId,
    externalKey: o.externalKey,
    challengeId: challenge.challenge_id,
    serverNonce: Buffer.from(challenge.server_nonce, 'base64url'),
  });
  const res = await post('configs', exchange.body);
  if (!res.ok) return failed(res);
  const sealed = (await res.json()) as { nonce: string; ciphertext: string };
  return JSON.parse(exchange.open(sealed.nonce, sealed.ciphertext).toString('utf8'));
};
