import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { openGatehouse } from '../../src/wiring.js';
import type { FromServer, MemoryWindow, ServerChildOptions, ToServer } from './server-protocol.js';

/**
 * A Gatehouse server in its own process (forked by server-process.ts), so that its memory is
 * measured without the bench's and the HTTP client's. Samples its RSS every `sampleMs` and reads
 * the kernel's VmHWM, reset at each mark through /proc/self/clear_refs, which sees even peaks
 * shorter than the sampling interval.
 */

const send = (m: FromServer) => process.send?.(m);
const opts = JSON.parse(process.argv[2] ?? '{}') as ServerChildOptions;

const hwmBytes = (): number | null => {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
};
/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where that is not possible. */
const resetHwm = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};

let window = { startRss: 0, sampledPeak: 0, hwmReset: false, cpu: process.cpuUsage(), wall: 0n };
const sample = () => {
  const rss = process.memoryUsage.rss();
  if (rss > window.sampledPeak) window.sampledPeak = rss;
};
const mark = () => {
  const rss = process.memoryUsage.rss();
  window = {
    startRss: rss,
    sampledPeak: rss,
    hwmReset: resetHwm(),
    cpu: process.cpuUsage(),
    wall: process.hrtime.bigint(),
  };
};
const peak = (): MemoryWindow => {
  sample();
  const mem = process.memoryUsage();
  const hwm = window.hwmReset ? hwmBytes() : null;
  const cpu = process.cpuUsage(window.cpu);
  const wallUs = Number(process.hrtime.bigint() - window.wall) / 1000;
  return {
    startRss: window.startRss,
    sampledPeakRss: window.sampledPeak,
    hwmRss: hwm,
    peakRss: hwm ?? window.sampledPeak,
    endRss: mem.rss,
    heapUsed: mem.heapUsed,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    cpu: wallUs > 0 ? (cpu.user + cpu.system) / wallUs : 0,
  };
};

const main = async () => {
  const config = loadConfig(
    {
      dataDir: opts.dataDir,
      databaseUrl: opts.databaseUrl,
      listen: '127.0.0.1:0',
      logLevel: 'silent',
      ...(opts.importPollIntervalMs ? { importPollIntervalMs: String(opts.importPollIntervalMs) } : {}),
    },
    {},
  );
  const gh = await openGatehouse(config);
  if (opts.importWorker) gh.factory.worker.start();
  const app = await buildApp(gh, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('server has no TCP address');

  // Baseline for upload throughput: HTTP on the same loopback, body read and dropped.
  const sink = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.writeHead(201).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkAddr = sink.address();
  if (!sinkAddr || typeof sinkAddr === 'string') throw new Error('sink has no TCP address');

  const email = 'bench@example.com';
  const password = 'bench-password-123';
  await gh.users.service.create({ tenantId: DEFAULT_TENANT_ID, email, password });
  const userToken = await gh.users.service.login(email, password);

  const sampler = setInterval(sample, opts.sampleMs);
  mark();
  process.on('message', (m: ToServer) => {
    if (m.type === 'mark') {
      mark();
      send({ type: 'marked', id: m.id });
    } else if (m.type === 'peak') {
      send({ type: 'peak', id: m.id, window: peak() });
    } else if (m.type === 'close') {
      clearInterval(sampler);
      sink.close();
      app
        .close()
        .then(() => gh.close())
        .then(
          () => send({ type: 'closed', id: m.id }),
          (e: unknown) => send({ type: 'error', message: String(e) }),
        )
        .finally(() => process.disconnect?.());
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({
    type: 'ready',
    url: `http://127.0.0.1:${addr.port}`,
    sinkUrl: `http://127.0.0.1:${sinkAddr.port}`,
    userToken,
  });
};

main().catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});
