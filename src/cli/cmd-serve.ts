import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { serveForever } from '../server.js';
import { addConfigFlags, configFlagsOf } from './cli-common.js';

export const registerServe = (program: Command): void => {
  addConfigFlags(program.command('serve').description('run the Gatehouse server')).action(async (opts) => {
    await serveForever(loadConfig(configFlagsOf(opts)));
  });
};
