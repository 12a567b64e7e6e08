import type { TableRow } from '../store/schema.js';
import type { Executor } from '../store/store.js';

/** The `signing_keys` table (signing-keys.ts: what a row means). */

export type SigningKeyRow = TableRow<'signing_keys'>;

/** The active keys, oldest first. */
export const readActiveSigningKeys = (db: Executor): Promise<SigningKeyRow[]> =>
  db
    .selectFrom('signing_keys')
    .selectAll()
    .where('status', '=', 'active')
    .orderBy('created_at')
    .orderBy('kid')
    .execute();

export const insertSigningKey = async (db: Executor, row: SigningKeyRow): Promise<void> => {
  await db.insertInto('signing_keys').values(row).execute();
};

/** Whether the database holds any signing key, active or not (then it holds sealed secrets). */
export const hasSigningKeys = async (db: Executor): Promise<boolean> =>
  (await db.selectFrom('signing_keys').select('kid').limit(1).execute()).length > 0;
