import { describe, expect, it } from 'vitest';
import { computeSignature, newWebhookSecret, signedHeaders, verifySignature } from './webhooks-signing.js';

describe('webhook signatures', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>" keyed with the secret string (docs/webhooks.md vector)', () => {
    // The example in docs/webhooks.md; receivers can check their implementation against it.
    expect(computeSignature('gwhs_example', '1767225600', '{"id":"x"}')).toBe(
      '29055de40eadecbab11712d21529c899dc4ee07317a7ef9f99c94f55ff29c54e',
    );
  });

  it('signs with a fresh timestamp and verifies within the tolerance only', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^gwhs_[A-Za-z0-9_-]{43}$/);
    const body = '{"id":"1","type":"device.accepted"}';
    const nowMs = 1_767_225_600_123;
    const h = signedHeaders({ secret, body, eventType: 'device.accepted', deliveryId: 'd1', nowMs });
    expect(h['x-gatehouse-timestamp']).toBe('1767225600');
    expect(h['x-gatehouse-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    const check = (over: Partial<Parameters<typeof verifySignature>[0]>) =>
      verifySignature({
        secret,
        body,
        timestamp: h['x-gatehouse-timestamp'],
        signature: h['x-gatehouse-signature'],
        nowMs,
        ...over,
      });
    expect(check({})).toBe(true);
    expect(check({ signature: `v0=abc, ${h['x-gatehouse-signature']}` })).toBe(true);
    expect(check({ body: `${body} ` })).toBe(false);
    expect(check({ secret: `${secret}x` })).toBe(false);
    expect(check({ nowMs: nowMs + 301_000 })).toBe(false);
    expect(check({ timestamp: '1767225601' })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
    expect(check({ signature: 'v1=zz' })).toBe(false);
  });
});
