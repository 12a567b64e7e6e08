import { afterAll, afterEach } from 'vitest';
import { takeContractViolations } from './mender-contract-violations.js';

// Vitest setup file (vitest.config.ts): a test whose requests got an answer that does not fit
// Mender's published OpenAPI document fails (answers in beforeAll/afterAll fail the file).
const failOnViolations = (when: string) => {
  const violations = takeContractViolations();
  if (violations.length === 0) return;
  throw new Error(
    `${violations.length} answer(s) ${when} do not fit Mender's OpenAPI document ` +
      '(fix the answer, or list a deliberate difference in test/compat/mender-openapi-differences.ts):\n' +
      violations.join('\n'),
  );
};

afterEach(() => failOnViolations('of this test'));
afterAll(() => failOnViolations('of this file (outside a test)'));
