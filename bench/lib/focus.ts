import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createBenchDatabase, type DialectName, dropLiveDatabases } from './databases.js';
import { type BenchServer, startBenchServer } from './gatehouse.js';
import type { HttpCaseTiming } from './http-case.js';
import { type LoadGenerator, startLoadGenerator } from './load-generator.js';

// What the focus runs (bench/focus-*.ts) share: their common options and the one-store-at-a-time
// loop around their cases.

/** The `parseArgs` options of every focus run; a run spreads them beside its own. */
export const focusOptions = {
  dialects: { type: 'string', default: 'sqlite,postgres' },
  duration: { type: 'string', default: '2' },
  rounds: { type: 'string', default: '1' },
  connections: { type: 'string', default: '16' },
} as const;

export interface FocusSettings {
  dialects: DialectName[];
  timing: HttpCaseTiming;
  rounds: number;
  connections: number;
}

/** The common options' values, parsed. */
export const focusSettings = (a: {
  dialects: string;
  duration: string;
  rounds: string;
  connections: string;
}): FocusSettings => ({
  dialects: a.dialects.split(',') as DialectName[],
  timing: { durationSeconds: Number(a.duration), warmupSeconds: 0.5 },
  rounds: Number(a.rounds),
  connections: Number(a.connections),
});

/**
 * Runs `cases` once per store, each on a fresh database and server (closed and dropped after),
 * with one load generator for all; every database left is dropped at the end.
 */
export const forEachStore = async (
  dialects: readonly DialectName[],
  cases: (c: { dialect: DialectName; server: BenchServer; load: LoadGenerator }) => Promise<void>,
): Promise<void> => {
  const load = await startLoadGenerator();
  try {
    for (const dialect of dialects) {
      const db = await createBenchDatabase(dialect);
      const server = await startBenchServer(db);
      try {
        await cases({ dialect, server, load });
      } finally {
        await server.close();
        await db.drop();
      }
    }
  } finally {
    await load.close();
    await dropLiveDatabases();
  }
};

/**
 * Runs `run` with the V8 CPU profiler on (this thread: the bench server's) when `file` is given,
 * and writes the profile there (open it in Chrome's DevTools or any .cpuprofile viewer).
 */
export const profiled = async <T>(file: string | undefined, run: () => Promise<T>): Promise<T> => {
  if (!file) return run();
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    const result = await run();
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    return result;
  } finally {
    session.disconnect();
  }
};
