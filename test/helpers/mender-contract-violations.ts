/**
 * Contract violations recorded by the recorder (mender-contract.ts) and not yet reported by the
 * setup file (mender-contract-setup.ts). Kept apart so that the setup file, which every test
 * file loads, does not load the document and its validator.
 */
const pending: string[] = [];

export const recordContractViolation = (message: string): void => {
  pending.push(message);
};

/** The violations recorded since the last call (and forgets them). */
export const takeContractViolations = (): string[] => pending.splice(0, pending.length);
