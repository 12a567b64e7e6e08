import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { migrateToLatest } from '../store/migrate.js';
import { openStore } from '../store/store.js';
import { addConfigFlags, configFlagsOf, output } from './cli-common.js';

export const registerMigrate = (program: Command): void => {
  addConfigFlags(
    program.command('migrate').description('apply pending database migrations (serve does this too)'),
    ['data'],
  )
    .option('--json', 'JSON output')
    .action(async (opts) => {
      const config = loadConfig(configFlagsOf(opts));
      const store = openStore({ databaseUrl: config.databaseUrl, poolSize: 1 });
      try {
        const applied = await migrateToLatest(store.db);
        output(opts, { database: store.description, applied }, (d) =>
          d.applied.length === 0
            ? `${d.database}: up to date`
            : `${d.database}: applied ${d.applied.join(', ')}`,
        );
      } finally {
        await store.destroy();
      }
    });
};
