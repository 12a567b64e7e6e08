/** Messages between the bench and a Gatehouse server running in its own process (server-child.ts). */

export interface ServerChildOptions {
  dataDir: string;
  databaseUrl: string;
  /** Interval of the RSS sampler, ms. */
  sampleMs: number;
  /** Run the device import worker (as `serve` does), for the import cases. */
  importWorker?: boolean;
  importPollIntervalMs?: number;
}

/** Memory of the server process over a window (between a `mark` and a `peak`). */
export interface MemoryWindow {
  /** RSS when the window opened. */
  startRss: number;
  /** Highest RSS the sampler saw (every `sampleMs`; a busy event loop samples less often). */
  sampledPeakRss: number;
  /** The kernel's exact high-water mark (VmHWM, reset at the mark), or null if it could not be reset. */
  hwmRss: number | null;
  /** hwmRss when available, otherwise sampledPeakRss. */
  peakRss: number;
  /** At the end of the window. */
  endRss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** CPU time of the server process in the window, as a fraction of one core. */
  cpu: number;
}

export type ToServer =
  | { type: 'mark'; id: number }
  | { type: 'peak'; id: number }
  | { type: 'close'; id: number };

export type FromServer =
  | {
      type: 'ready';
      /** http://127.0.0.1:<port> of Gatehouse. */
      url: string;
      /** http://127.0.0.1:<port> of a bare node:http server that reads and discards request bodies. */
      sinkUrl: string;
      /** A user (admin) token of the default tenant. */
      userToken: string;
    }
  | { type: 'marked'; id: number }
  | { type: 'peak'; id: number; window: MemoryWindow }
  | { type: 'closed'; id: number }
  | { type: 'error'; message: string };
