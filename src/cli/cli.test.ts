import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { type Scope, scopes, settings } from '../config/config-schema.js';
import { buildProgram } from './cli.js';

/** Every command that does something (no subcommands), by its name under `gatehouse`. */
const leaves = (cmd: Command, prefix: string[] = []): [string, Command][] =>
  cmd.commands.flatMap((c) =>
    c.commands.length > 0 ? leaves(c, [...prefix, c.name()]) : [[[...prefix, c.name()].join(' '), c]],
  );

const program = buildProgram();
const commands = new Map(leaves(program));
const settingFlags = new Set(Object.values(settings).map((s) => s.flag));
const flagsOfScope = (scope: Scope) =>
  Object.values(settings)
    .filter((s) => s.scope === scope)
    .map((s) => s.flag);
/** The setting flags a command's help lists. */
const helpFlags = (cmd: Command) =>
  [...cmd.helpInformation().matchAll(/^\s+(--[a-z0-9-]+) <value>/gm)]
    .map((m) => m[1] as string)
    .filter((f) => settingFlags.has(f));

describe('the setting flags of each command', () => {
  it('are those of the scopes the settings table says the command takes', () => {
    for (const [name, cmd] of commands) {
      const taken = (Object.keys(scopes) as Scope[]).filter((scope) => {
        const { takenBy, commands: listed } = scopes[scope];
        return takenBy === 'only'
          ? (listed as readonly string[]).includes(name)
          : !(listed as readonly string[]).includes(name);
      });
      expect(helpFlags(cmd).sort(), name).toEqual(taken.flatMap(flagsOfScope).sort());
    }
  });

  it('names only commands that exist', () => {
    for (const { commands: listed } of Object.values(scopes))
      for (const name of listed) expect([...commands.keys()]).toContain(name);
  });

  it('serve takes every setting; a command that opens Gatehouse only where the data is and how to open it', () => {
    expect(helpFlags(commands.get('serve') as Command).sort()).toEqual([...settingFlags].sort());
    expect(helpFlags(commands.get('users list') as Command).sort()).toEqual(
      [...flagsOfScope('data'), ...flagsOfScope('open')].sort(),
    );
    expect(helpFlags(commands.get('migrate') as Command).sort()).toEqual(['--data-dir', '--database-url']);
    expect(helpFlags(commands.get('keygen') as Command)).toEqual([]);
  });

  it('refuses the flag of a setting the command does not read', async () => {
    const errors: string[] = [];
    const p = buildProgram();
    const quiet = (c: Command): void => {
      c.configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => {} });
      for (const sub of c.commands) quiet(sub);
    };
    quiet(p);
    await expect(
      p.parseAsync(['node', 'gatehouse', 'users', 'list', '--listen', '127.0.0.1:1']),
    ).rejects.toThrow(/unknown option '--listen'/);
    expect(errors.join('')).toMatch(/unknown option '--listen'/);
  });
});
