import { describe, expect, it } from 'vitest';
import { parseFrames } from './events';

describe('parseFrames (text/event-stream)', () => {
  it('parses complete frames, skips comments, keeps the unfinished rest', () => {
    const got: { id?: string; event?: string; data: string }[] = [];
    const rest = parseFrames(
      ': ping\n\nid: 1\nevent: device.accepted\ndata: {"a":1}\n\nid: 2\r\ndata: x\r\ndata: y\r\n\r\nid: 3\ndata: {"b"',
      (f) => got.push(f),
    );
    expect(got).toEqual([
      { id: '1', event: 'device.accepted', data: '{"a":1}' },
      { id: '2', event: undefined, data: 'x\ny' },
    ]);
    expect(rest).toBe('id: 3\ndata: {"b"');
  });

  it('resumes across chunk boundaries', () => {
    const got: string[] = [];
    let rest = parseFrames('id: 7\nda', (f) => got.push(f.data));
    rest = parseFrames(`${rest}ta: {"n":7}\n`, (f) => got.push(f.data));
    rest = parseFrames(`${rest}\n`, (f) => got.push(f.data));
    expect(got).toEqual(['{"n":7}']);
    expect(rest).toBe('');
  });
});
