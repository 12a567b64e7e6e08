import { isUtf8 } from 'node:buffer';
import { containsNul, DEPTH_MESSAGE, isJsonTooDeep, NUL_MESSAGE } from '../core/json-limits.js';
import { devauthErrors } from './devauth-errors.js';
import { type CanonicalIdentity, IdentityError, parseIdData } from './identity.js';
import {
  type DevicePublicKey,
  decodeSignatureHeader,
  PublicKeyError,
  parseDevicePublicKey,
  verifyDeviceSignatureAsync,
} from './pubkey.js';

/**
 * Parsing and checking of a device auth request (docs/compat/mender-device-auth.md#auth-request,
 * #signature). Pure: nothing here touches storage, so a request that fails any check cannot
 * change a record.
 */
export interface VerifiedAuthRequest {
  identity: CanonicalIdentity;
  pubkey: DevicePublicKey;
  tenantToken: string;
}

/** An auth request whose every field is checked but whose signature is not verified yet. */
export interface ParsedAuthRequest extends VerifiedAuthRequest {
  /** The decoded `X-MEN-Signature`, over the exact body bytes. */
  signature: Buffer;
}

export const MAX_AUTH_REQUEST_BYTES = 64 * 1024;

/**
 * How the identity and the key of a request are parsed: by default afresh each time; the device
 * auth service passes its cached parsers (createIdDataParser, createDevicePublicKeyParser).
 */
export interface AuthRequestParsers {
  idData: (idData: string) => CanonicalIdentity;
  publicKey: (pem: string) => DevicePublicKey;
}

const UNCACHED: AuthRequestParsers = { idData: parseIdData, publicKey: parseDevicePublicKey };
const MAX_TENANT_TOKEN_LENGTH = 4096;

/**
 * The checks of an auth request before its signature, in the order the errors are reported:
 * body, fields, identity, key, signature header. Synchronous and cheap (the service caches the
 * identity and key parses).
 */
export const parseAuthRequest = (
  body: Buffer,
  signatureHeader: string | undefined,
  bearer: string | undefined,
  parsers: AuthRequestParsers = UNCACHED,
): ParsedAuthRequest => {
  // The body is parsed here, not by a content-type parser (the signature covers its bytes), so
  // the limits every JSON body has apply here too, before JSON.parse.
  if (!isUtf8(body)) throw devauthErrors.badAuthRequest('failed to decode auth request: not valid UTF-8');
  if (isJsonTooDeep(body))
    throw devauthErrors.badAuthRequest(`failed to decode auth request: ${DEPTH_MESSAGE}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw devauthErrors.badAuthRequest('failed to decode auth request: malformed JSON');
  }
  // id_data, pubkey and the tenant token all reach the database or its queries.
  if (containsNul(parsed)) throw devauthErrors.badAuthRequest(`invalid auth request: ${NUL_MESSAGE}`);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw devauthErrors.badAuthRequest('failed to decode auth request: expected a JSON object');
  }
  const req = parsed as Record<string, unknown>;
  const idData = req.id_data;
  const pubkeyPem = req.pubkey;
  const tenantToken = req.tenant_token ?? '';
  if (typeof idData !== 'string' || idData.length === 0) {
    throw devauthErrors.badAuthRequest('invalid auth request: id_data must be a non-empty string');
  }
  if (typeof pubkeyPem !== 'string' || pubkeyPem.length === 0) {
    throw devauthErrors.badAuthRequest('invalid auth request: pubkey must be a non-empty string');
  }
  if (typeof tenantToken !== 'string' || tenantToken.length > MAX_TENANT_TOKEN_LENGTH) {
    throw devauthErrors.badAuthRequest('invalid auth request: tenant_token must be a string');
  }
  let identity: CanonicalIdentity;
  try {
    identity = parsers.idData(idData);
  } catch (e) {
    if (e instanceof IdentityError) throw devauthErrors.badAuthRequest(`invalid auth request: ${e.message}`);
    throw e;
  }
  let pubkey: DevicePublicKey;
  try {
    pubkey = parsers.publicKey(pubkeyPem);
  } catch (e) {
    if (e instanceof PublicKeyError) throw devauthErrors.badAuthRequest(`invalid auth request: ${e.message}`);
    throw e;
  }
  if (signatureHeader === undefined || signatureHeader.trim() === '') throw devauthErrors.missingSignature();
  const signature = decodeSignatureHeader(signatureHeader);
  if (!signature) throw devauthErrors.badSignature();
  // The client sends the tenant token in the body and as "Authorization: Bearer <token>"; its
  // length is checked after the signature (verifyAuthRequest).
  const token = tenantToken !== '' ? tenantToken : (bearer ?? '');
  return { identity, pubkey, tenantToken: token, signature };
};

/**
 * parseAuthRequest, then the signature over the exact body bytes. The signature check runs in
 * libuv's thread pool: it is the one piece of crypto an auth request cannot avoid, and off the
 * event loop it overlaps with the HTTP and database work of other requests instead of queueing
 * in front of them (bench/README.md, "Where the time goes").
 */
export const verifyAuthRequest = async (
  body: Buffer,
  signatureHeader: string | undefined,
  bearer: string | undefined,
  parsers: AuthRequestParsers = UNCACHED,
): Promise<VerifiedAuthRequest> => {
  const { signature, ...req } = parseAuthRequest(body, signatureHeader, bearer, parsers);
  if (!(await verifyDeviceSignatureAsync(req.pubkey, body, signature))) throw devauthErrors.badSignature();
  if (req.tenantToken.length > MAX_TENANT_TOKEN_LENGTH)
    throw devauthErrors.unauthorized('tenant token too long');
  return req;
};
