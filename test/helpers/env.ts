/** True when running in CI: tests that need a tool or service fail instead of skipping. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** GATEHOUSE_TEST_PG=skip: run without PostgreSQL (its variants are skipped). Refused in CI. */
export const PG_SKIPPED = process.env.GATEHOUSE_TEST_PG === 'skip' && !IN_CI;

export const PG_ADMIN_URL =
  process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
