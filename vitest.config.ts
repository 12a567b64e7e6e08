import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Most test files spend their time waiting (on real daemons, PostgreSQL, a browser, the Mender
 * client's poll intervals), not computing, so more workers than cores pay: on the 2-core CI
 * machine 3 workers take the suite from about 26 to about 9 minutes. Vitest's own default is
 * cores − 1 (one worker there). Capped so a big machine does not start dozens of daemons at once.
 */
const workers = Math.min(6, Math.max(2, Math.ceil(availableParallelism() * 1.5)));

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // e2e files drive real daemons on fixed host paths; they coordinate through test/helpers.
    fileParallelism: true,
    maxWorkers: workers,
    globalSetup: ['test/helpers/global-setup.ts'],
    // Answers on Mender operations are checked against Mender's OpenAPI document (ADR 22).
    setupFiles: ['test/helpers/mender-contract-setup.ts'],
  },
});
