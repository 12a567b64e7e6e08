import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread whose entry module is `name` (without extension), next to the module
 * at `callerUrl` (the caller's `import.meta.url`).
 *
 * Compiled, the entry is the .js file. Run from the TypeScript sources (tsx, vitest, the bench),
 * it is the .ts file, and a worker thread does not inherit tsx's loader (not even with
 * `--import tsx` in its execArgv, on Node 20): a two-line bootstrap registers it in the thread
 * first.
 */
export const startSiblingWorker = (callerUrl: string, name: string, workerData?: unknown): Worker => {
  const ext = extname(fileURLToPath(callerUrl));
  const url = new URL(`./${name}${ext}`, callerUrl);
  if (ext !== '.ts') return new Worker(url, { workerData });
  // Resolved here, from this package; a bare specifier in the thread would resolve from the cwd.
  const tsxApi =
    typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
};
