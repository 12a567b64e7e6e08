import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromServer, MemoryWindow, ServerChildOptions, ToServer } from './server-protocol.js';

export interface ServerProcess {
  url: string;
  sinkUrl: string;
  userToken: string;
  pid: number;
  /** Opens a memory window (resets the peak). */
  mark(): Promise<void>;
  /** Closes the window: peak RSS since the mark, and the memory now. */
  peak(): Promise<MemoryWindow>;
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Kills server children still running (Ctrl-C, crash); never throws. */
export const killServerProcesses = (): void => {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
};

/**
 * Forks server-child.ts: Gatehouse listening on 127.0.0.1 in a process of its own. The child
 * inherits this process's execArgv, so tsx loads it like the bench itself.
 */
export const startServerProcess = async (opts: ServerChildOptions): Promise<ServerProcess> => {
  const child = fork(fileURLToPath(new URL('./server-child.ts', import.meta.url)), [JSON.stringify(opts)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  let nextId = 1;
  const pending = new Map<number, { resolve(m: FromServer): void; reject(e: Error): void }>();
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const ready = new Promise<Extract<FromServer, { type: 'ready' }>>((resolve, reject) => {
    child.on('message', (m: FromServer) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'error') {
        const e = new Error(`server process: ${m.message}`);
        reject(e);
        failAll(e);
      } else {
        pending.get(m.id)?.resolve(m);
        pending.delete(m.id);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      live.delete(child);
      const e = new Error(`server process exited (code ${code}, signal ${signal})`);
      reject(e);
      failAll(e);
    });
  });
  const ask = (type: ToServer['type']) =>
    new Promise<FromServer>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ type, id } satisfies ToServer);
    });
  const r = await ready;
  return {
    url: r.url,
    sinkUrl: r.sinkUrl,
    userToken: r.userToken,
    pid: child.pid ?? -1,
    mark: async () => {
      await ask('mark');
    },
    peak: async () => {
      const m = await ask('peak');
      if (m.type !== 'peak') throw new Error(`server process: unexpected answer ${m.type}`);
      return m.window;
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await ask('close').catch(() => {});
      await exited;
    },
  };
};
