import type { Executor } from '../store/store.js';
import { num } from '../store/store.js';

export interface Challenge {
  id: string;
  tenantId: string;
  externalId: string;
  /** Null for the decoy challenges handed out for unknown or disabled external ids. */
  configId: string | null;
  serverNonce: string;
  expiresAt: number;
  createdAt: number;
}

export const insertChallenge = async (ex: Executor, c: Challenge): Promise<void> => {
  await ex
    .insertInto('bootstrap_challenges')
    .values({
      id: c.id,
      tenant_id: c.tenantId,
      external_id: c.externalId,
      config_id: c.configId,
      server_nonce: c.serverNonce,
      expires_at: c.expiresAt,
      created_at: c.createdAt,
    })
    .execute();
};

export const purgeExpiredChallenges = async (ex: Executor, nowMs: number): Promise<void> => {
  await ex.deleteFrom('bootstrap_challenges').where('expires_at', '<', nowMs).execute();
};

/**
 * Takes a challenge out of the table: whoever deletes the row owns it, so a challenge is answered
 * at most once even when two processes receive the same proof at the same time.
 */
export const consumeChallenge = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<Challenge | undefined> => {
  const r = await ex
    .deleteFrom('bootstrap_challenges')
    .where('id', '=', id)
    .where('tenant_id', '=', tenantId)
    .returningAll()
    .executeTakeFirst();
  return r
    ? {
        id: r.id,
        tenantId: r.tenant_id,
        externalId: r.external_id,
        configId: r.config_id,
        serverNonce: r.server_nonce,
        expiresAt: num(r.expires_at),
        createdAt: num(r.created_at),
      }
    : undefined;
};
