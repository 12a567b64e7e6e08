import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export type KeyKind = 'rsa' | 'rsa3072' | 'ec' | 'ec384' | 'ed25519';

export interface DeviceKeys {
  kind: KeyKind;
  privateKey: KeyObject;
  publicPem: string;
}

export const makeDeviceKeys = (kind: KeyKind = 'ed25519'): DeviceKeys => {
  const pair =
    kind === 'rsa' || kind === 'rsa3072'
      ? generateKeyPairSync('rsa', { modulusLength: kind === 'rsa' ? 2048 : 3072 })
      : kind === 'ec' || kind === 'ec384'
        ? generateKeyPairSync('ec', { namedCurve: kind === 'ec' ? 'P-256' : 'P-384' })
        : generateKeyPairSync('ed25519');
  return {
    kind,
    privateKey: pair.privateKey,
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};

/**
 * The auth request body exactly as the Go client writes it: json.Encoder output (field order
 * id_data, tenant_token, pubkey; `<>&` escaped) plus a trailing newline.
 */
export const authRequestBody = (
  identity: Record<string, unknown>,
  publicPem: string,
  tenantToken = '',
): Buffer => {
  const goEscape = (s: string) => s.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  const idData = JSON.stringify(identity);
  return Buffer.from(
    `${goEscape(JSON.stringify({ id_data: idData, tenant_token: tenantToken, pubkey: publicPem }))}\n`,
  );
};

export const signBody = (keys: DeviceKeys, body: Buffer): string =>
  sign(keys.kind === 'ed25519' ? null : 'sha256', body, keys.privateKey).toString('base64');

/** Builds inject() options for an auth request. */
export const authRequest = (
  keys: DeviceKeys,
  identity: Record<string, unknown>,
  opts: { tenantToken?: string; body?: Buffer; signature?: string | null } = {},
) => {
  const body = opts.body ?? authRequestBody(identity, keys.publicPem, opts.tenantToken ?? '');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${opts.tenantToken ?? ''}`,
  };
  if (opts.signature !== null) headers['x-men-signature'] = opts.signature ?? signBody(keys, body);
  return {
    method: 'POST' as const,
    url: '/api/devices/v1/authentication/auth_requests',
    headers,
    payload: body,
  };
};
