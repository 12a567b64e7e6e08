import type { SecretBox } from '../core/secret-box.js';
import { envelopeJson } from './webhooks-envelope.js';
import type { HttpSender, OutboundResult } from './webhooks-http.js';
import { signedHeaders } from './webhooks-signing.js';

/**
 * The secret a target signs with, opened from its sealed column (`aad` binds it to its row), or
 * the reason it does not open: sealed under another master key, which is not the receiver's
 * fault and not transient.
 */
export const openTargetSecret = (
  box: Pick<SecretBox, 'open'>,
  sealed: string,
  aad: string,
): { ok: true; secret: string } | { ok: false; error: unknown } => {
  try {
    return { ok: true, secret: box.open(sealed, aad).toString('utf8') };
  } catch (error) {
    return { ok: false, error };
  }
};

/**
 * One signed POST of an envelope to a webhook target, as every kind sends it (event deliveries,
 * pings, allocation calls): the envelope's type is the `X-Gatehouse-Event` header and
 * `deliveryId` the `X-Gatehouse-Delivery` one; the signature's timestamp is `nowMs`.
 */
export const sendSignedEnvelope = (
  send: HttpSender,
  a: {
    url: string;
    secret: string;
    envelope: Parameters<typeof envelopeJson>[0];
    deliveryId: string;
    nowMs: number;
    timeoutMs: number;
    maxResponseBytes: number;
    signal?: AbortSignal;
  },
): Promise<OutboundResult> => {
  const body = envelopeJson(a.envelope);
  return send({
    url: a.url,
    headers: signedHeaders({
      secret: a.secret,
      body,
      eventType: a.envelope.type,
      deliveryId: a.deliveryId,
      nowMs: a.nowMs,
    }),
    body,
    timeoutMs: a.timeoutMs,
    maxResponseBytes: a.maxResponseBytes,
    ...(a.signal === undefined ? {} : { signal: a.signal }),
  });
};

/** A 2xx answer arrived in time. */
export const isDelivered = (res: OutboundResult): boolean =>
  res.error === null && res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300;
