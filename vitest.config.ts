import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // e2e files drive real daemons on fixed host paths; they coordinate through test/helpers.
    fileParallelism: true,
    globalSetup: ['test/helpers/global-setup.ts'],
    // Answers on Mender operations are checked against Mender's OpenAPI document (ADR 22).
    setupFiles: ['test/helpers/mender-contract-setup.ts'],
  },
});
