import type { Command } from 'commander';
import { type ConfigFlags, loadConfig } from '../config/config.js';
import { type SettingKey, settings } from '../config/config-schema.js';
import { type Gatehouse, openGatehouse } from '../wiring.js';

/** Adds one flag per setting (from the settings table) to a command. */
export const addConfigFlags = (cmd: Command): Command => {
  for (const s of Object.values(settings)) {
    cmd.option(`${s.flag} <value>`, `${s.doc} [env ${s.env}; default ${s.defaultText}]`);
  }
  return cmd;
};

const flagKey = (flag: string) =>
  flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export const configFlagsOf = (opts: Record<string, unknown>): ConfigFlags => {
  const out: ConfigFlags = {};
  for (const [key, s] of Object.entries(settings) as [SettingKey, (typeof settings)[SettingKey]][]) {
    const v = opts[flagKey(s.flag)];
    if (typeof v === 'string') out[key] = v;
  }
  return out;
};

/** Opens Gatehouse for a CLI command (same data dir/database as the server), runs `fn`, closes. */
export const withGatehouse = async <T>(
  opts: Record<string, unknown>,
  fn: (gh: Gatehouse) => Promise<T>,
): Promise<T> => {
  const config = loadConfig(configFlagsOf(opts));
  const gh = await openGatehouse(config);
  try {
    return await fn(gh);
  } finally {
    await gh.close();
  }
};

/** Prints `data` as JSON with --json, else as `human(data)`. */
export const output = <T>(opts: { json?: boolean }, data: T, human: (d: T) => string): void => {
  process.stdout.write(opts.json ? `${JSON.stringify(data, null, 2)}\n` : `${human(data)}\n`);
};
