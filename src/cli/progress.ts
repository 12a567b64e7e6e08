/**
 * Progress of a long CLI command on stderr. On a terminal: one line redrawn in place (at most
 * every REDRAW_MS, so a million ticks cost nothing visible) with a bar, done/total, rate and
 * ETA. Anywhere else (a pipe, a CI log, a file): plain lines, one per 10 % and at least one per
 * LINE_INTERVAL_MS, because carriage returns turn logs into one unreadable line.
 *
 * The rate is measured over the last RATE_WINDOW_MS, not since the start: the first seconds of
 * a run (workers starting, caches cold) would otherwise skew the ETA for the whole run.
 */

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  /** Unknown (undefined): no bar, percentage or ETA, only the count and rate. */
  total?: number;
  /** Word after the count, e.g. "keys" (default: none). */
  unit?: string;
  stream?: ProgressStream;
  /** Milliseconds, monotonic; injected by tests. */
  now?: () => number;
}

export interface Progress {
  tick(n?: number): void;
  set(done: number): void;
  /** Last state, then `summaryLine` (if any) on a line of its own. Idempotent. */
  finish(summaryLine?: string): void;
}

const REDRAW_MS = 100;
const LINE_INTERVAL_MS = 5_000;
/** While nothing ticks (one RSA-8192 key takes seconds), elapsed time and rate still move. */
const IDLE_REDRAW_MS = 1_000;
const RATE_WINDOW_MS = 10_000;
const SAMPLE_MS = 250;
const MIN_BAR = 10;
const MAX_BAR = 40;

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
};

const formatRate = (perSecond: number): string =>
  perSecond >= 100 ? int(perSecond) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);

export const createProgress = (opts: ProgressOptions): Progress => {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? (() => performance.now());
  const isTTY = stream.isTTY === true;
  const total = opts.total !== undefined && opts.total >= 0 ? opts.total : undefined;
  const unit = opts.unit ? ` ${opts.unit}` : '';
  const started = now();
  let done = 0;
  let finished = false;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let lastLineAt = started;
  let lastLineTenth = 0;
  let drawnWidth = 0;
  // (time, done) samples for the windowed rate: one per SAMPLE_MS, pruned to the window, so bounded.
  const samples: { t: number; done: number }[] = [{ t: started, done: 0 }];

  const rate = (t: number): number => {
    while (samples.length > 2 && (samples[1]?.t ?? t) < t - RATE_WINDOW_MS) samples.shift();
    const first = samples[0] ?? { t: started, done: 0 };
    const span = (t - first.t) / 1000;
    return span > 0 ? (done - first.done) / span : 0;
  };

  const text = (t: number, final: boolean): string => {
    const perSecond = final ? done / Math.max((t - started) / 1000, 1e-9) : rate(t);
    const parts = [`${opts.label}:`];
    if (total === undefined) parts.push(`${int(done)}${unit}`);
    else {
      const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
      parts.push(`${int(done)}/${int(total)}${unit}`, `(${pct}%)`);
    }
    parts.push(`${formatRate(perSecond)}/s`);
    if (final) parts.push(`in ${formatDuration((t - started) / 1000)}`);
    else if (total !== undefined)
      parts.push(`ETA ${perSecond > 0 ? formatDuration((total - done) / perSecond) : '--:--'}`);
    return parts.join(' ');
  };

  const bar = (): string => {
    if (total === undefined) return '';
    const width = Math.max(MIN_BAR, Math.min(MAX_BAR, (stream.columns ?? 80) - 60));
    const filled = total === 0 ? width : Math.min(width, Math.floor((done / total) * width));
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] `;
  };

  const drawTty = (t: number, final: boolean) => {
    lastDraw = t;
    let line = `${bar()}${text(t, final)}`;
    const columns = stream.columns ?? 0;
    // A line wider than the terminal wraps, and \r then redraws only its last row.
    if (columns > 1 && line.length >= columns) line = line.slice(0, columns - 1);
    // Pad over the previous, longer line instead of relying on an erase-line escape.
    stream.write(`\r${line.padEnd(drawnWidth)}`);
    drawnWidth = line.length;
  };

  const printLine = (t: number, final: boolean) => {
    lastLineAt = t;
    stream.write(`${text(t, final)}\n`);
  };

  const update = (t: number) => {
    if (finished) return;
    if (t - (samples[samples.length - 1]?.t ?? started) >= SAMPLE_MS) samples.push({ t, done });
    if (isTTY) {
      if (t - lastDraw >= REDRAW_MS) drawTty(t, false);
      return;
    }
    const tenth = total !== undefined && total > 0 ? Math.floor((done / total) * 10) : 0;
    if (tenth > lastLineTenth || t - lastLineAt >= LINE_INTERVAL_MS) {
      lastLineTenth = Math.max(lastLineTenth, tenth);
      // The 100 % line is finish()'s.
      if (total === undefined || done < total) printLine(t, false);
    }
  };

  const timer = setInterval(() => {
    const t = now();
    if (isTTY ? t - lastDraw >= IDLE_REDRAW_MS : t - lastLineAt >= LINE_INTERVAL_MS) {
      if (isTTY) drawTty(t, false);
      else printLine(t, false);
    }
  }, IDLE_REDRAW_MS);
  timer.unref();

  if (isTTY) drawTty(started, false);

  return {
    tick(n = 1) {
      done += n;
      update(now());
    },
    set(value) {
      done = value;
      update(now());
    },
    finish(summaryLine) {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      const t = now();
      if (isTTY) {
        drawTty(t, true);
        stream.write('\n');
      } else printLine(t, true);
      if (summaryLine !== undefined) stream.write(`${summaryLine}\n`);
    },
  };
};
