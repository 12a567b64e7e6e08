import type { Gatehouse } from '../../src/wiring.js';

const TABLES = [
  'devices',
  'auth_sets',
  'device_tokens',
  'inventory_attributes',
  'inventory_digests',
  'events',
  'users',
  'user_tokens',
  'tenants',
] as const;
export type Counts = Record<(typeof TABLES)[number], number>;

/** Row counts of every table, to prove a refused request changed nothing. */
export const rowCounts = async (gh: Gatehouse): Promise<Counts> => {
  const out = {} as Counts;
  for (const t of TABLES) {
    const r = await gh.store.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    out[t] = Number(r.n);
  }
  return out;
};

/** Decodes a JWT payload without verifying it (tests only). */
export const jwtPayload = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
