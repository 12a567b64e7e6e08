import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface TrickleResult {
  /** Whether the server closed the connection before the deadline. */
  closed: boolean;
  /** When the connection ended (or the deadline), in ms after it was opened. */
  afterMs: number;
  /** Bytes the client wrote. */
  sent: number;
  /** What the server answered, if anything (e.g. a 408). */
  received: string;
}

/**
 * A slow client on a real loopback connection (slowloris and slow bodies): writes `head` once
 * connected, then `drip` every `everyMs`, and waits for the server to close the connection, at
 * most `deadlineMs` (then it closes it itself and reports `closed: false`). Bounded in time.
 */
export const trickle = (opts: {
  port: number;
  localAddress?: string;
  /** TLS client (certificate not checked); `raw` opens TCP to a TLS port and never says hello. */
  tls?: boolean;
  head?: string;
  /** Written every `everyMs`: the same string for ever, or each of a list once, in order. */
  drip?: string | readonly string[];
  everyMs?: number;
  deadlineMs: number;
}): Promise<TrickleResult> =>
  new Promise((resolve) => {
    const start = Date.now();
    const target = { host: '127.0.0.1', port: opts.port, localAddress: opts.localAddress };
    const socket: Socket = opts.tls
      ? tlsConnect({ ...target, rejectUnauthorized: false })
      : netConnect(target);
    let sent = 0;
    let received = '';
    let interval: NodeJS.Timeout | undefined;
    let done = false;
    const write = (s: string) => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(s);
      sent += Buffer.byteLength(s);
    };
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearInterval(interval);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ closed, afterMs: Date.now() - start, sent, received });
    };
    const deadline = setTimeout(() => finish(false), opts.deadlineMs);
    socket.on('error', () => {});
    socket.on('data', (d) => {
      received += d.toString('latin1');
    });
    socket.on('close', () => finish(true));
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
      if (opts.head !== undefined) write(opts.head);
      const drip = opts.drip;
      let next = 0;
      if (drip !== undefined)
        interval = setInterval(() => {
          if (typeof drip === 'string') return write(drip);
          if (next < drip.length) write(drip[next++] as string);
        }, opts.everyMs ?? 500);
    });
  });

/** Opens a plain connection and resolves once it is connected; for counting what a server keeps. */
export const openConnection = (port: number, localAddress?: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
