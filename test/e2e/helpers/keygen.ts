import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `gatehouse keygen` as an operator runs it: the built CLI (bin/gatehouse.js → dist/), in a
 * process of its own, so its worker threads, file modes and exit codes are the real ones.
 */

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(REPO, 'bin', 'gatehouse.js');

/** The sources keygen is built from; dist/ must not be older than any of them. */
const keygenSources = (): string[] => [
  ...readdirSync(join(REPO, 'src', 'factory'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join('factory', f)),
  join('cli', 'cmd-keygen.ts'),
  join('cli', 'progress.ts'),
  join('cli', 'cli.ts'),
];

/** Why dist/ cannot stand for the sources (keygen missing or older), or undefined when it can. */
export const builtCliStaleness = (): string | undefined => {
  for (const src of keygenSources()) {
    const built = join(REPO, 'dist', src.replace(/\.ts$/, '.js'));
    if (!existsSync(built)) return `${built} is missing: run npm run build`;
    if (statSync(built).mtimeMs < statSync(join(REPO, 'src', src)).mtimeMs)
      return `dist/ is older than src/${src}: run npm run build`;
  }
  return undefined;
};

/** Throws (a failure, not a skip) when dist/ lacks keygen or is older than its sources. */
export const assertBuiltCli = (): void => {
  const stale = builtCliStaleness();
  if (stale) throw new Error(stale);
};

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `gatehouse keygen <args>`; stdout and stderr are pipes (not a terminal). */
export const startKeygen = (args: string[]): { child: ChildProcess; done: Promise<CliRun> } => {
  const child = spawn(process.execPath, [BIN, 'keygen', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
};

export const keygen = (args: string[]): Promise<CliRun> => startKeygen(args).done;

export interface ManifestEntry {
  identity: Record<string, string>;
  pubkey: string;
  fingerprint: string;
  group?: string;
  tags?: Record<string, string>;
}

export const readJsonlManifest = (path: string): ManifestEntry[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ManifestEntry);
