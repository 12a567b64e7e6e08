import type { Logger } from '../core/logger.js';
import { newLeaseOwner } from './import-lease.js';
import type { ImportsService } from './import-service.js';

/**
 * `serve` runs queued imports (staged through the API) and takes over imports whose runner died
 * (a CLI killed mid-import, a crashed process of a scale-out install), one at a time per process.
 */
export const createImportWorker = (deps: {
  imports: ImportsService;
  logger: Logger;
  pollIntervalMs: number;
}) => {
  const { imports, logger } = deps;
  const owner = newLeaseOwner();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  const tick = async () => {
    for (const id of await imports.runnable(5)) {
      if (stopped) return;
      if (!(await imports.claim(id, owner))) continue;
      logger.info({ importId: id }, 'running device import');
      const job = await imports.run(id, owner, undefined, () => stopped);
      logger.info(
        {
          importId: id,
          status: job.status,
          created: job.created,
          unchanged: job.unchanged,
          conflicts: job.conflicts,
          invalid: job.invalid,
        },
        'device import ended',
      );
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((err) => logger.error({ err }, 'device import failed (it is retried from its checkpoint)'))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, deps.pollIntervalMs);
    timer.unref();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    /** Stops between batches: an import in progress keeps its checkpoint and is resumed later. */
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
};

export type ImportWorker = ReturnType<typeof createImportWorker>;
