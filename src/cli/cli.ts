import { Command, CommanderError } from 'commander';
import { VERSION } from '../app.js';
import { ConfigError } from '../config/config.js';
import { isAppError } from '../core/errors.js';
import { CliExit } from './cli-common.js';
import { registerBootstrap } from './cmd-bootstrap.js';
import { registerDevices } from './cmd-devices.js';
import { registerEnrollment } from './cmd-enrollment.js';
import { registerFactories } from './cmd-factories.js';
import { registerKeygen } from './cmd-keygen.js';
import { registerMigrate } from './cmd-migrate.js';
import { registerPki } from './cmd-pki.js';
import { registerServe } from './cmd-serve.js';
import { registerTenants } from './cmd-tenants.js';
import { registerUsers } from './cmd-users.js';

export const buildProgram = (): Command => {
  const program = new Command('gatehouse')
    .description('Gatehouse: device identity, authentication, provisioning and bootstrap server')
    .version(VERSION)
    .exitOverride();
  registerServe(program);
  registerMigrate(program);
  registerUsers(program);
  registerTenants(program);
  registerDevices(program);
  registerBootstrap(program);
  registerPki(program);
  registerEnrollment(program);
  registerFactories(program);
  registerKeygen(program);
  return program;
};

/** Runs the CLI; returns the exit code. Errors print one clear line, not a stack. */
export const runCli = async (argv: string[]): Promise<number> => {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CliExit) {
      process.stderr.write(`error: ${e.message}\n`);
      return e.exitCode;
    }
    if (isAppError(e)) process.stderr.write(`error: ${e.publicMessage}\n`);
    else if (e instanceof ConfigError) process.stderr.write(`configuration error: ${e.message}\n`);
    else process.stderr.write(`error: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
};
