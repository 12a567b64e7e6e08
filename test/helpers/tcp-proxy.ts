import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'open' | 'refuse' | 'blackhole';

export interface TcpProxy {
  readonly port: number;
  readonly mode: ProxyMode;
  /**
   * open: forwards to the target. refuse: the listener is closed (new connections get
   * ECONNREFUSED) and every connection is destroyed. blackhole: the listener accepts but never
   * answers, and connections already open stop carrying data in either direction (a network
   * that silently drops packets). Leaving refuse or blackhole destroys every connection held.
   */
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

/** A loopback TCP proxy in front of `target`, to cut a database away from one test only. */
export const startTcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  let mode: ProxyMode = 'open';
  const pairs = new Set<Pair>();
  let server: Server | undefined;
  let port = 0;

  const destroy = (p: Pair) => {
    p.client.destroy();
    p.upstream?.destroy();
    pairs.delete(p);
  };

  const onConnection = (client: Socket) => {
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    client.on('error', () => destroy(pair));
    client.on('close', () => destroy(pair));
    if (mode !== 'open') return; // blackhole: accepted, never answered
    const upstream = createConnection(target);
    pair.upstream = upstream;
    upstream.on('error', () => destroy(pair));
    upstream.on('close', () => destroy(pair));
    // Data is forwarded only while open; in blackhole it is read and dropped.
    client.on('data', (d) => {
      if (mode === 'open') upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (mode === 'open') client.write(d);
    });
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        const addr = s.address();
        if (typeof addr === 'object' && addr) port = addr.port;
        server = s;
        resolve();
      });
    });
  const unlisten = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
    });

  await listen();
  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    async setMode(next) {
      if (next === mode) return;
      const previous = mode;
      mode = next;
      if (next === 'refuse') {
        for (const p of [...pairs]) destroy(p);
        await unlisten();
        return;
      }
      if (previous !== 'open') for (const p of [...pairs]) destroy(p);
      if (!server) await listen();
    },
    async close() {
      for (const p of [...pairs]) destroy(p);
      await unlisten();
    },
  };
};
