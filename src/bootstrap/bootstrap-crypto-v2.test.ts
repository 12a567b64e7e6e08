import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildTranscript,
  computeProof,
  deriveAuthKey,
  deriveResponseKey,
  deviceV2Exchange,
  fromB64uExact,
  openV2Response,
  sealV2Response,
  v2Salt,
} from './bootstrap-crypto-v2.js';

/** The test vectors of docs/bootstrap-v2.md, read from the document itself so the two cannot drift. */
const vectors = (): Record<string, string> => {
  const doc = readFileSync(new URL('../../docs/bootstrap-v2.md', import.meta.url), 'utf8');
  const block = /<!-- vectors:begin -->\s*```text\n([\s\S]*?)```\s*<!-- vectors:end -->/.exec(doc)?.[1];
  if (!block) throw new Error('no test vectors in docs/bootstrap-v2.md');
  return Object.fromEntries(
    block
      .trim()
      .split('\n')
      .map((l) => {
        const i = l.indexOf(' = ');
        return [l.slice(0, i), l.slice(i + 3)];
      }),
  );
};

describe('bootstrap v2 crypto', () => {
  const v = vectors();
  const hex = (k: string) => Buffer.from(v[k] as string, 'hex');
  const input = {
    tenantId: v.tenant_id as string,
    externalId: v.external_id as string,
    challengeId: v.challenge_id as string,
    serverNonce: hex('server_nonce_hex'),
    deviceNonce: hex('device_nonce_hex'),
  };
  const transcript = buildTranscript(input);
  const responseKey = deriveResponseKey(
    v.external_key as string,
    input.tenantId,
    input.externalId,
    transcript,
  );

  it('reproduces every documented test vector', () => {
    expect(v2Salt(input.tenantId, input.externalId).toString('hex')).toBe(v.salt_hex);
    const authKey = deriveAuthKey(v.external_key as string, input.tenantId, input.externalId);
    expect(authKey.toString('hex')).toBe(v.auth_key_hex);
    expect(transcript.toString('hex')).toBe(v.transcript_hex);
    const proof = computeProof(authKey, transcript);
    expect(proof.toString('hex')).toBe(v.proof_hex);
    expect(proof.toString('base64url')).toBe(v.proof_b64url);
    expect(responseKey.toString('hex')).toBe(v.response_key_hex);
    const sealed = sealV2Response(
      responseKey,
      transcript,
      Buffer.from(v.plaintext as string),
      hex('gcm_nonce_hex'),
    );
    expect(sealed.ciphertext.toString('hex')).toBe(v.ciphertext_hex);
    expect(sealed.ciphertext.toString('base64url')).toBe(v.ciphertext_b64url);
    expect(sealed.nonce.toString('base64url')).toBe(v.nonce_b64url);
    expect(input.serverNonce.toString('base64url')).toBe(v.server_nonce_b64url);
    expect(input.deviceNonce.toString('base64url')).toBe(v.device_nonce_b64url);
  });

  it('the device helper computes the documented proof and opens the documented response', () => {
    const ex = deviceV2Exchange({ ...input, externalKey: v.external_key as string });
    expect(ex.body.proof).toBe(v.proof_b64url);
    expect(ex.body.device_nonce).toBe(v.device_nonce_b64url);
    expect(ex.open(v.nonce_b64url as string, v.ciphertext_b64url as string).toString()).toBe(v.plaintext);
  });

  it('refuses a tampered ciphertext, tag or nonce, and another exchange or device', () => {
    const ct = hex('ciphertext_hex');
    const nonce = hex('gcm_nonce_hex');
    expect(openV2Response(responseKey, transcript, nonce, ct).toString()).toBe(v.plaintext);
    for (const i of [0, 40, ct.length - 1]) {
      const bad = Buffer.from(ct);
      bad[i] = (bad[i] as number) ^ 1;
      expect(() => openV2Response(responseKey, transcript, nonce, bad)).toThrow();
    }
    const badNonce = Buffer.from(nonce);
    badNonce[0] = (badNonce[0] as number) ^ 1;
    expect(() => openV2Response(responseKey, transcript, badNonce, ct)).toThrow();
    const otherExchange = buildTranscript({ ...input, deviceNonce: Buffer.alloc(32, 7) });
    expect(() => openV2Response(responseKey, otherExchange, nonce, ct)).toThrow();
    const otherDevice = deriveResponseKey('another key', input.tenantId, input.externalId, transcript);
    expect(() => openV2Response(otherDevice, transcript, nonce, ct)).toThrow();
    expect(() => openV2Response(responseKey, transcript, nonce, ct.subarray(0, 10))).toThrow();
  });

  it('frames fields by length, so moving bytes between fields changes the transcript', () => {
    const a = buildTranscript({ ...input, tenantId: 't', externalId: 'ab' });
    const b = buildTranscript({ ...input, tenantId: 'ta', externalId: 'b' });
    expect(a.equals(b)).toBe(false);
    expect(v2Salt('t', 'ab').equals(v2Salt('ta', 'b'))).toBe(false);
  });

  it('decodes only exact unpadded base64url', () => {
    const b = Buffer.alloc(32, 0xfb);
    expect(fromB64uExact(b.toString('base64url'), 32)?.equals(b)).toBe(true);
    expect(fromB64uExact(b.toString('base64'), 32)).toBeUndefined();
    expect(fromB64uExact(`${b.toString('base64url')}=`, 32)).toBeUndefined();
    expect(fromB64uExact(Buffer.alloc(31).toString('base64url'), 32)).toBeUndefined();
    expect(fromB64uExact(`${'A'.repeat(42)}B`, 32)).toBeUndefined();
  });
});
