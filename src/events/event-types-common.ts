import { type TProperties, Type } from 'typebox';

/**
 * Building blocks of the event registry (event-types.ts). Payloads are TypeBox schemas so that
 * one definition gives both the TypeScript type `recordEvent` checks and the table in
 * docs/webhooks.md.
 */

/** One event type: when it is recorded, and its `data`. */
export const defineEvent = <P extends TProperties>(when: string, properties: P) => ({
  when,
  payload: Type.Object(properties),
});

export const StringOrNull = Type.Union([Type.String(), Type.Null()]);

/** Identity attributes as the device sent them (JSON object). */
export const IdentityData = Type.Record(Type.String(), Type.Unknown());

export const Actor = Type.Object(
  {
    type: Type.Literal('user'),
    id: Type.String(),
    email: Type.String(),
    token_kind: Type.Union([Type.Literal('session'), Type.Literal('pat')]),
  },
  { title: 'Actor', description: 'the user who made the change' },
);

/** What a change made through the management API adds (devauth `trailPayload`). */
export const trail = {
  actor: Type.Optional(Actor),
  bulk: Type.Optional(Type.Literal(true, { description: 'part of a bulk action' })),
};

export const AuthSetStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('accepted'),
  Type.Literal('rejected'),
  Type.Literal('preauthorized'),
]);

/** Facts of a client certificate (never the certificate itself). */
export const CertificateFacts = Type.Object({
  subject: Type.String(),
  serial: Type.String(),
  fingerprint: Type.String(),
  not_after: Type.String({ description: 'RFC 3339' }),
});

/** Magistrala's config state: 1 active, 0 inactive. */
export const ConfigState = Type.Union([Type.Literal(0), Type.Literal(1)]);

/** Set on changes made by a bootstrap import. */
export const viaImport = { via: Type.Optional(Type.Literal('import')) };
