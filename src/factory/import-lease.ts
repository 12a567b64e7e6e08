import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Import runners hold a lease on the import they run, renewed with every batch. A runner that
 * dies (kill -9) loses it when it runs out; on the same host a rerun need not wait for that: the
 * owner names its host and process, and a process that is gone holds nothing.
 */
export const newLeaseOwner = (): string => `${hostname()}:${process.pid}:${randomUUID()}`;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Whether `owner` is a runner on this host whose process has exited. */
export const isDeadLocalOwner = (owner: string | null): boolean => {
  if (!owner) return false;
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  return !isAlive(pid);
};
