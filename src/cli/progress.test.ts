import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from './progress.js';

const fakeStream = (isTTY: boolean, columns = 100) => {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns, write: (c: string) => chunks.push(c) } };
};

const clock = () => {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('createProgress on a terminal', () => {
  it('redraws one line in place, at most every 100 ms, with done/total, rate and ETA', () => {
    const { chunks, stream } = fakeStream(true);
    const c = clock();
    const p = createProgress({ label: 'keygen', total: 1000, unit: 'keys', stream, now: c.now });
    const initial = chunks.length;
    for (let i = 0; i < 100; i++) {
      c.advance(1);
      p.tick();
    }
    // 100 ticks within 100 ms: one redraw at most.
    expect(chunks.length - initial).toBeLessThanOrEqual(1);
    c.advance(400);
    p.tick(100);
    const last = chunks.at(-1) ?? '';
    expect(last.startsWith('\r')).toBe(true);
    expect(last).not.toContain('\n');
    expect(last).toContain('keygen: 200/1,000 keys (20%)');
    // 200 in 0.5 s: 400/s, 800 left: 2 s.
    expect(last).toContain('400/s');
    expect(last).toContain('ETA 0:02');
    expect(last).toMatch(/\[#{2,}\.+\]/);
    p.finish('done: 1000 keys');
    expect(chunks.join('')).toMatch(/\ndone: 1000 keys\n$/);
    expect(chunks.at(-2)).toBe('\n');
  });

  it('never draws a line as wide as the terminal (it would wrap)', () => {
    const { chunks, stream } = fakeStream(true, 30);
    const p = createProgress({ label: 'a long label for a narrow terminal', total: 10, stream });
    p.finish();
    for (const c of chunks) expect(c.replace(/^\r/, '').replace(/\n$/, '').trimEnd().length).toBeLessThan(30);
  });

  it('pads over a longer previous line', () => {
    const { chunks, stream } = fakeStream(true);
    const c = clock();
    const p = createProgress({ label: 'x', total: 10, stream, now: c.now });
    const first = chunks.at(-1) ?? '';
    c.advance(1000);
    p.set(10);
    expect((chunks.at(-1) ?? '').length).toBeGreaterThanOrEqual(first.length);
    p.finish();
  });
});

describe('createProgress elsewhere (pipe, log file)', () => {
  it('prints plain lines at each 10 % and a final line with the average rate', () => {
    const { chunks, stream } = fakeStream(false);
    const c = clock();
    const p = createProgress({ label: 'keygen', total: 100, stream, now: c.now });
    for (let i = 0; i < 100; i++) {
      c.advance(10);
      p.tick();
    }
    p.finish('summary');
    expect(chunks.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    // 10 %, 20 % ... 90 % (the 100 % line is the final one), then the summary.
    expect(chunks).toHaveLength(11);
    expect(chunks[0]).toMatch(/^keygen: 10\/100 \(10%\) 100\/s ETA 0:01\n$/);
    expect(chunks[9]).toBe('keygen: 100/100 (100%) 100/s in 0:01\n');
    expect(chunks[10]).toBe('summary\n');
  });

  it('prints a line every 5 s even when the next 10 % is far away', () => {
    const { chunks, stream } = fakeStream(false);
    const c = clock();
    const p = createProgress({ label: 'slow', total: 1_000_000, stream, now: c.now });
    for (let i = 0; i < 12; i++) {
      c.advance(1000);
      p.tick();
    }
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toMatch(/^slow: 5\/1,000,000 \(0%\) 1\.00\/s ETA \d+:\d\d:\d\d\n$/);
    p.finish();
  });

  it('works without a total (count and rate only)', () => {
    const { chunks, stream } = fakeStream(false);
    const c = clock();
    const p = createProgress({ label: 'import', unit: 'devices', stream, now: c.now });
    c.advance(6000);
    p.tick(30);
    c.advance(2000);
    p.finish();
    expect(chunks).toEqual(['import: 30 devices 5.00/s\n', 'import: 30 devices 3.75/s in 0:08\n']);
  });

  it('finish is idempotent and an empty total is complete', () => {
    const { chunks, stream } = fakeStream(false);
    const p = createProgress({ label: 'none', total: 0, stream, now: () => 0 });
    p.finish();
    p.finish('again');
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toContain('0/0 (100%)');
  });
});

describe('formatDuration', () => {
  it('prints m:ss or h:mm:ss', () => {
    expect([formatDuration(0), formatDuration(59.6), formatDuration(61), formatDuration(3725)]).toEqual([
      '0:00',
      '1:00',
      '1:01',
      '1:02:05',
    ]);
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('--:--');
  });
});
