import { spawnSync } from 'node:child_process';

/**
 * Shell commands as a screen shows them for copying: comments, blank lines and "$ " prompts
 * dropped, backslash-continued lines joined.
 */
export const commandsIn = (text: string): string[] =>
  text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/^\$\s+/, ''))
    .filter((l) => l !== '' && !l.startsWith('#'));

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The file name a command gives after `flag` (e.g. -out), unquoted. */
export const argAfter = (command: string, flag: string): string | undefined => {
  const m = new RegExp(`(?:^|\\s)${flag}\\s+("[^"]*"|'[^']*'|\\S+)`).exec(command);
  return m?.[1]?.replace(/^["']|["']$/g, '');
};

/**
 * Replaces the file name after each flag (e.g. `-CAkey`) with the given path, as an operator
 * substitutes their own file names into commands copied from a screen.
 */
export const substituteFiles = (command: string, files: Record<string, string>): string => {
  let out = command;
  for (const [flag, path] of Object.entries(files))
    out = out.replace(
      new RegExp(`(^|\\s)${flag}\\s+("[^"]*"|'[^']*'|\\S+)`, 'g'),
      `$1${flag} ${quote(path)}`,
    );
  return out;
};

/** Runs one command line with sh in `cwd`; throws with its output when it fails. */
export const runShell = (command: string, cwd: string): string => {
  const r = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0)
    throw new Error(`\`${command}\` failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
