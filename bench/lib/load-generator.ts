import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, LoadJob, LoadResult } from './load-protocol.js';

export type LoadSpec = Omit<LoadJob, 'id'>;

export interface LoadGenerator {
  run(spec: LoadSpec): Promise<LoadResult>;
  close(): Promise<void>;
}

/**
 * Forks load-child.ts (autocannon) once and sends it one job at a time. The child inherits this
 * process's execArgv, so it is loaded by tsx like the bench itself.
 */
export const startLoadGenerator = async (): Promise<LoadGenerator> => {
  const child: ChildProcess = fork(fileURLToPath(new URL('./load-child.ts', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(r: LoadResult): void; reject(e: Error): void }>();
  let ready: () => void = () => {};
  const readyP = new Promise<void>((resolve, reject) => {
    ready = resolve;
    child.once('error', reject);
  });
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'ready') ready();
    else if (m.type === 'result') {
      pending.get(m.result.id)?.resolve(m.result);
      pending.delete(m.result.id);
    } else {
      pending.get(m.id)?.reject(new Error(`load generator: ${m.message}`));
      pending.delete(m.id);
    }
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`load generator exited (code ${code})`));
    pending.clear();
  });
  await readyP;
  return {
    run: (spec) =>
      new Promise<LoadResult>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ ...spec, id } satisfies LoadJob);
      }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.disconnect();
      await exited;
    },
  };
};
