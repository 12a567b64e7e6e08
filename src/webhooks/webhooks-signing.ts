import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook request signing (docs/webhooks.md, "Verifying a request"). The signed string is
 * `<X-Gatehouse-Timestamp>.<raw body>`, the key is the secret string's UTF-8 bytes, and the
 * header is `X-Gatehouse-Signature: v1=<hex HMAC-SHA256>`. The timestamp is part of the signed
 * string so a receiver can refuse replays of old requests.
 */
export const SIGNATURE_SCHEME = 'v1';
export const USER_AGENT = 'Gatehouse-Webhooks/1';

/** A new per-webhook secret: a prefix that says what it is, then 32 random bytes. */
export const newWebhookSecret = (): string => `gwhs_${randomBytes(32).toString('base64url')}`;

export const computeSignature = (secret: string, timestamp: string, body: string | Buffer): string =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

/** The headers of one signed webhook request (a retry gets a fresh timestamp and signature). */
export const signedHeaders = (args: {
  secret: string;
  body: string;
  eventType: string;
  deliveryId: string;
  nowMs: number;
}): Record<string, string> => {
  const timestamp = String(Math.floor(args.nowMs / 1000));
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-gatehouse-event': args.eventType,
    'x-gatehouse-delivery': args.deliveryId,
    'x-gatehouse-timestamp': timestamp,
    'x-gatehouse-signature': `${SIGNATURE_SCHEME}=${computeSignature(args.secret, timestamp, args.body)}`,
  };
};

/**
 * Receiver-side check, as documented for integrators (and used by our tests): any `v1=` value
 * in the header may match (a comma-separated list is allowed for forward compatibility), and the
 * timestamp must be within `toleranceSeconds` of now.
 */
export const verifySignature = (args: {
  secret: string;
  body: string | Buffer;
  timestamp: string | undefined;
  signature: string | undefined;
  nowMs: number;
  toleranceSeconds?: number;
}): boolean => {
  const { timestamp, signature } = args;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(args.nowMs / 1000 - Number(timestamp)) > (args.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(computeSignature(args.secret, timestamp, args.body), 'hex');
  return signature.split(',').some((part) => {
    const [scheme, hex] = part.trim().split('=', 2);
    if (scheme !== SIGNATURE_SCHEME || !hex || !/^[0-9a-f]{64}$/.test(hex)) return false;
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
};
