import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SigningKey } from './signing-keys.js';
import { createTokenKit } from './token-kit.js';

const manualClock = (startMs: number) => {
  let now = startMs;
  return {
    nowMs: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

const signingKey = (): SigningKey => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  return { kid: 'k1', alg: 'EdDSA', privateKey, publicKey, publicJwk: { ...jwk, kid: 'k1' }, createdAt: 0 };
};

describe('token kit signature cache', () => {
  const key = signingKey();

  it.each([0, 2, 100_000])(
    'a remembered signature ends with its token (cache size %i)',
    async (cacheSize) => {
      const clock = manualClock(1_700_000_000_000);
      const kit = createTokenKit({ keys: [key], issuer: 'gh', clock, cacheSize });
      const expMs = clock.nowMs() + 60_000;
      const token = await kit.sign({ sub: 'd', jti: 'j' }, expMs);
      expect((await kit.verify(token))?.sub).toBe('d');
      expect((await kit.verify(token))?.sub).toBe('d');
      clock.advance(59_999);
      expect((await kit.verify(token))?.sub).toBe('d');
      clock.advance(1);
      expect(await kit.verify(token)).toBeNull();
      expect(await kit.verify(token)).toBeNull();
    },
  );

  it('two kits share no cache, and a bad token is never remembered as good', async () => {
    const clock = manualClock(1_700_000_000_000);
    const a = createTokenKit({ keys: [key], issuer: 'gh', clock });
    const b = createTokenKit({ keys: [signingKey()], issuer: 'gh', clock });
    const token = await a.sign({ sub: 'd', jti: 'j' }, clock.nowMs() + 60_000);
    expect(await a.verify(token)).not.toBeNull();
    expect(await b.verify(token)).toBeNull();
    // The signature's last two characters changed (one signature in 256 already ends in "AA").
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'QA' : 'AA'}`;
    expect(await a.verify(tampered)).toBeNull();
    expect(await b.verify(token)).toBeNull();
  });
});
