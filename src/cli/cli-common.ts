import { type Command, InvalidArgumentError } from 'commander';
import { type ConfigFlags, loadConfig } from '../config/config.js';
import { type Scope, type SettingKey, scopes, settings } from '../config/config-schema.js';
import { DEFAULT_TENANT_ID } from '../tenants/index.js';
import { type Gatehouse, openGatehouse } from '../wiring.js';

/**
 * A command that ran but must report failure with a specific exit code (1 is every other error),
 * e.g. `bootstrap import` exits 2 when rows were refused while the rest was applied.
 */
export class CliExit extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * Adds the flags of the settings of the given scopes (src/config/config-schema.ts) to a command:
 * a command takes the flags of the settings it reads, and commander refuses the others. Every
 * setting's environment variable still applies.
 */
export const addConfigFlags = (cmd: Command, taken: readonly Scope[]): Command => {
  for (const s of Object.values(settings)) {
    if (taken.includes(s.scope))
      cmd.option(`${s.flag} <value>`, `${s.doc} [env ${s.env}; default ${s.defaultText}]`);
  }
  return cmd;
};

/** The scopes of a command that opens Gatehouse (`withGatehouse`, `withTenant`). */
export const OPENS: readonly Scope[] = ['data', 'open'];

/** `serve` reads every setting. */
export const EVERY_SCOPE = Object.keys(scopes) as Scope[];

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

/** `--tenant <id>`, defaulting to the default tenant. */
export const tenantOption = (description = 'tenant id (default: the default tenant)') =>
  ['--tenant <id>', description, DEFAULT_TENANT_ID] as const;

/**
 * withGatehouse for commands scoped to `--tenant`: a mistyped tenant is "tenant not found", not
 * an empty list or a foreign-key error.
 */
export const withTenant = async <T>(
  opts: Record<string, unknown> & { tenant: string },
  fn: (gh: Gatehouse, tenantId: string) => Promise<T>,
): Promise<T> =>
  withGatehouse(opts, async (gh) => {
    await gh.tenants.service.get(opts.tenant);
    return fn(gh, opts.tenant);
  });

/** Parser of a non-negative integer option. */
export const nonNegativeInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return Number(v);
};

/** `--offset`, `--limit` and `--json` of list commands. */
export const pagingOptions = (cmd: Command) =>
  cmd
    .option('--offset <n>', 'skip this many', nonNegativeInt('--offset'), 0)
    .option('--limit <n>', 'at most this many', nonNegativeInt('--limit'), 100)
    .option('--json', 'JSON output');
