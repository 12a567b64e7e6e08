import { buildApp } from './app.js';
import { startStorageJanitor } from './blobs/index.js';
import type { Config } from './config/config.js';
import { createLogger } from './core/logger.js';
import { ORPHAN_GRACE_MS } from './deployments/index.js';
import { connectionLimitsOf } from './http/connection-limits.js';
import { createTlsListener, type TlsListener } from './http/tls.js';
import { createTrustedProxies } from './http/trusted-proxies.js';
import type { App } from './http/types.js';
import { type Gatehouse, openGatehouse } from './wiring.js';

export interface RunningServer {
  app: App;
  gh: Gatehouse;
  url: string;
  /** The HTTPS (mTLS-capable) listener's URL and port, when GATEHOUSE_TLS_LISTEN is set. */
  tlsUrl: string | undefined;
  tlsPort: number | undefined;
  stop(): Promise<void>;
}

/** Opens everything, listens, and returns a handle whose stop() drains requests and closes the store. */
export const startServer = async (config: Readonly<Config>): Promise<RunningServer> => {
  // One logger for requests and background work, on stdout (the server's log stream).
  const logger = createLogger(config.logLevel, process.stdout);
  const gh = await openGatehouse(config, { logger });
  // What a crashed process left in blob storage goes first (never a live process's upload).
  const janitor = await startStorageJanitor({
    blobs: gh.blobs,
    logger,
    removeOrphanBlobs: async () => {
      const artifacts = await gh.deployments.artifacts.removeOrphanBlobs();
      // Manifests staged by a process that died before its import row committed.
      const manifests = await gh.factory.imports.removeOrphanBlobs(ORPHAN_GRACE_MS);
      return { blobs: artifacts.blobs + manifests.blobs, bytes: artifacts.bytes + manifests.bytes };
    },
  });
  const app = await buildApp(gh, { loggerInstance: logger });
  let tls: TlsListener | undefined;
  let tlsPort: number | undefined;
  try {
    // Certificate and key are read and checked before anything listens.
    if (config.tlsListen && config.tlsCertFile && config.tlsKeyFile)
      tls = createTlsListener(app, {
        certFile: config.tlsCertFile,
        keyFile: config.tlsKeyFile,
        limits: connectionLimitsOf(config),
        trustedProxies: createTrustedProxies(config.trustedProxies),
      });
    await app.listen({ host: config.listen.host, port: config.listen.port });
    if (tls && config.tlsListen) tlsPort = await tls.listen(config.tlsListen.host, config.tlsListen.port);
  } catch (e) {
    janitor.stop();
    await app.close();
    await gh.close();
    throw e;
  }
  // Stopped by gh.close() below (before the store closes).
  if (config.webhookWorker) gh.webhooks.worker.start();
  if (config.importWorker) gh.factory.worker.start();
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  app.log.info(
    { store: gh.store.description, dataDir: config.dataDir, port, ...(tls ? { tlsPort } : {}) },
    'gatehouse is serving',
  );
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const timer = setTimeout(() => {
        app.log.warn('shutdown timeout: closing remaining connections');
        app.server.closeAllConnections();
      }, config.shutdownTimeoutSeconds * 1000);
      timer.unref();
      try {
        await Promise.all([app.close(), tls?.close(config.shutdownTimeoutSeconds * 1000)]);
      } finally {
        clearTimeout(timer);
        janitor.stop();
        await gh.close();
      }
    })();
    return stopping;
  };
  return {
    app,
    gh,
    url: `http://127.0.0.1:${port}`,
    tlsUrl: tlsPort === undefined ? undefined : `https://127.0.0.1:${tlsPort}`,
    tlsPort,
    stop,
  };
};

/** `gatehouse serve`: runs until SIGTERM/SIGINT, then shuts down gracefully. */
export const serveForever = async (config: Readonly<Config>): Promise<void> => {
  const server = await startServer(config);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      server.app.log.info({ signal }, 'stopping');
      server.stop().then(resolve, (err) => {
        server.app.log.error({ err }, 'error during shutdown');
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
};
