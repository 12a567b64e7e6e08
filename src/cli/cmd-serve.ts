import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { serveForever } from '../server.js';
import { addConfigFlags, configFlagsOf, EVERY_SCOPE } from './cli-common.js';

export const registerServe = (program: Command): void => {
  addConfigFlags(program.command('serve').description('run the Gatehouse server'), EVERY_SCOPE).action(
    async (opts) => {
      await serveForever(loadConfig(configFlagsOf(opts)));
    },
  );
};
