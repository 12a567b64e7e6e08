import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { beforeAll, describe } from 'vitest';
import { IN_CI } from '../../helpers/env.js';

// Paths the Debian mender 3.4 client hard-codes (docs/compat/mender-clients.md#paths);
// setup-host.sh installs them.
export const MENDER_BIN = '/usr/bin/mender';
export const IDENTITY_SCRIPT = '/usr/share/mender/identity/mender-device-identity';
export const ARTIFACT_INFO = '/etc/mender/artifact_info';

/** Why the real-client tests cannot run on this host, or undefined when they can. */
const findMissingPrerequisite = (): string | undefined => {
  try {
    accessSync(MENDER_BIN, constants.X_OK);
  } catch {
    return `${MENDER_BIN} is not installed (apt-get install mender-client)`;
  }
  try {
    accessSync(IDENTITY_SCRIPT, constants.X_OK);
  } catch {
    return `the identity script ${IDENTITY_SCRIPT} is missing`;
  }
  if (!existsSync(ARTIFACT_INFO)) return `${ARTIFACT_INFO} is missing`;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    return 'openssl is not installed';
  }
  // The tests give every simulated device its own identity through the environment.
  try {
    const out = execFileSync(IDENTITY_SCRIPT, {
      env: { PATH: process.env.PATH, MENDER_ID_MAC: '02:00:00:00:00:99', MENDER_ID_SERIAL: 'SN-PROBE' },
    }).toString();
    if (!out.includes('mac=02:00:00:00:00:99') || !out.includes('serialnumber=SN-PROBE')) {
      return `${IDENTITY_SCRIPT} does not read MENDER_ID_MAC / MENDER_ID_SERIAL (an older version?)`;
    }
  } catch (e) {
    return `${IDENTITY_SCRIPT} failed: ${(e as Error).message}`;
  }
  return undefined;
};

export const missingPrerequisite = findMissingPrerequisite();

/** Per-test budget: longer than any single waitFor (20 s by default), so a timeout shows its diagnostics. */
export const MENDER_TEST_TIMEOUT_MS = 60_000;

/** The first of `tools` (absolute paths) that is not an executable file, as a reason. */
const findMissingTool = (tools: readonly string[]): string | undefined => {
  for (const tool of tools) {
    try {
      accessSync(tool, constants.X_OK);
    } catch {
      return `${tool} is not installed (apt-get install ${tool.split('/').pop()})`;
    }
  }
  return undefined;
};

/**
 * A describe() block that needs the real Mender client (and, when given, further tools such as
 * mender-artifact and mender-cli). Locally it is skipped, with the reason in its name, when the
 * host lacks one; in CI it runs and fails instead.
 */
export const describeWithMender = (
  name: string,
  body: () => void,
  opts: { tools?: readonly string[]; timeoutMs?: number } = {},
): void => {
  const missing = missingPrerequisite ?? findMissingTool(opts.tools ?? []);
  if (missing && !IN_CI) {
    console.warn(`skipping "${name}": ${missing} (run test/e2e/setup-host.sh as root; in CI this fails)`);
    describe.skip(`${name} [skipped: ${missing}; run test/e2e/setup-host.sh as root]`, body);
    return;
  }
  describe(name, { timeout: opts.timeoutMs ?? MENDER_TEST_TIMEOUT_MS }, () => {
    if (missing) {
      beforeAll(() => {
        throw new Error(`e2e prerequisite missing in CI: ${missing} (run test/e2e/setup-host.sh)`);
      });
    }
    body();
  });
};
