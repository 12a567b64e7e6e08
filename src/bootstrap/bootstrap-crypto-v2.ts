import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Bootstrap v2, byte-level (docs/bootstrap-v2.md has the same definitions and test vectors):
 *
 *   lp(x)        = uint32be(len(x)) ‖ x
 *   salt         = lp(tenant_id) ‖ lp(external_id)
 *   auth_key     = HKDF-SHA256(ikm = external_key, salt, info = "gatehouse-bootstrap-v2 auth", 32)
 *   transcript   = lp("gatehouse-bootstrap-v2") ‖ lp(tenant_id) ‖ lp(external_id) ‖ lp(challenge_id)
 *                  ‖ lp(server_nonce) ‖ lp(device_nonce)
 *   proof        = HMAC-SHA256(auth_key, transcript)
 *   response_key = HKDF-SHA256(ikm = external_key, salt,
 *                              info = "gatehouse-bootstrap-v2 response" ‖ SHA-256(transcript), 32)
 *   ciphertext   = AES-256-GCM(response_key, nonce(12), aad = transcript, JSON) ‖ tag(16)
 *
 * Strings are UTF-8; nonces are 32 random bytes; binary values travel as unpadded base64url.
 */
export const V2_LABEL = 'gatehouse-bootstrap-v2';
export const V2_NONCE_BYTES = 32;
export const V2_PROOF_BYTES = 32;
export const V2_GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
const AUTH_INFO = Buffer.from(`${V2_LABEL} auth`);
const RESPONSE_INFO = Buffer.from(`${V2_LABEL} response`);

export interface TranscriptInput {
  tenantId: string;
  externalId: string;
  challengeId: string;
  serverNonce: Buffer;
  deviceNonce: Buffer;
}

const lp = (x: string | Uint8Array): Buffer => {
  const bytes = typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  return Buffer.concat([len, bytes]);
};

export const v2Salt = (tenantId: string, externalId: string): Buffer =>
  Buffer.concat([lp(tenantId), lp(externalId)]);

const hkdf = (externalKey: string, salt: Buffer, info: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', Buffer.from(externalKey, 'utf8'), salt, info, 32));

/** The per-device key that proves knowledge of the external key. */
export const deriveAuthKey = (externalKey: string, tenantId: string, externalId: string): Buffer =>
  hkdf(externalKey, v2Salt(tenantId, externalId), AUTH_INFO);

export const buildTranscript = (t: TranscriptInput): Buffer =>
  Buffer.concat([
    lp(V2_LABEL),
    lp(t.tenantId),
    lp(t.externalId),
    lp(t.challengeId),
    lp(t.serverNonce),
    lp(t.deviceNonce),
  ]);

export const computeProof = (authKey: Buffer, transcript: Buffer): Buffer =>
  createHmac('sha256', authKey).update(transcript).digest();

/** The key of one response: bound to the device (external key) and to this exchange (transcript). */
export const deriveResponseKey = (
  externalKey: string,
  tenantId: string,
  externalId: string,
  transcript: Buffer,
): Buffer =>
  hkdf(
    externalKey,
    v2Salt(tenantId, externalId),
    Buffer.concat([RESPONSE_INFO, createHash('sha256').update(transcript).digest()]),
  );

export const sealV2Response = (
  responseKey: Buffer,
  transcript: Buffer,
  plaintext: Uint8Array,
  nonce: Buffer = randomBytes(V2_GCM_NONCE_BYTES),
): { nonce: Buffer; ciphertext: Buffer } => {
  const cipher = createCipheriv('aes-256-gcm', responseKey, nonce);
  cipher.setAAD(transcript);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ciphertext: Buffer.concat([ct, cipher.getAuthTag()]) };
};

/** Device side: opens a response; throws when anything was tampered with or belongs elsewhere. */
export const openV2Response = (
  responseKey: Buffer,
  transcript: Buffer,
  nonce: Buffer,
  ciphertext: Buffer,
): Buffer => {
  if (nonce.length !== V2_GCM_NONCE_BYTES || ciphertext.length < GCM_TAG_BYTES) {
    throw new Error('malformed bootstrap v2 response');
  }
  const decipher = createDecipheriv('aes-256-gcm', responseKey, nonce);
  decipher.setAAD(transcript);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - GCM_TAG_BYTES));
  return Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - GCM_TAG_BYTES)),
    decipher.final(),
  ]);
};

export const toB64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** Strict unpadded base64url of exactly `bytes` bytes; undefined otherwise. */
export const fromB64uExact = (s: string, bytes: number): Buffer | undefined => {
  if (s.length !== Math.ceil((bytes * 4) / 3) || !/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  const b = Buffer.from(s, 'base64url');
  return b.length === bytes && b.toString('base64url') === s ? b : undefined;
};

/** Everything a device computes for one exchange (used by the CLI, tests and the bench). */
export const deviceV2Exchange = (input: {
  tenantId: string;
  externalId: string;
  externalKey: string;
  challengeId: string;
  serverNonce: Buffer;
  deviceNonce?: Buffer;
}) => {
  const deviceNonce = input.deviceNonce ?? randomBytes(V2_NONCE_BYTES);
  const transcript = buildTranscript({ ...input, deviceNonce });
  const proof = computeProof(deriveAuthKey(input.externalKey, input.tenantId, input.externalId), transcript);
  const responseKey = deriveResponseKey(input.externalKey, input.tenantId, input.externalId, transcript);
  return {
    body: {
      external_id: input.externalId,
      challenge_id: input.challengeId,
      device_nonce: toB64u(deviceNonce),
      proof: toB64u(proof),
    },
    open: (nonce: string, ciphertext: string): Buffer =>
      openV2Response(
        responseKey,
        transcript,
        Buffer.from(nonce, 'base64url'),
        Buffer.from(ciphertext, 'base64url'),
      ),
  };
};
