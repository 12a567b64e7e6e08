import { describe, expect, it } from 'vitest';
import { formatOfName, parseSignature, pickManifestFiles } from './manifest-files';

const f = (name: string) => ({ name });
const none = { manifest: null, signature: null };

describe('pickManifestFiles', () => {
  it('pairs a manifest with the signature named for it, dropped together in any order', () => {
    const r = pickManifestFiles(none, [f('line-1.jsonl.sig'), f('line-1.jsonl')]);
    expect(r).toMatchObject({ manifest: f('line-1.jsonl'), signature: f('line-1.jsonl.sig'), problem: null });
    expect(r.notes).toEqual([]);
  });

  it('refuses two manifests, and several signatures none of which is named for the manifest', () => {
    expect(pickManifestFiles(none, [f('a.jsonl'), f('b.csv')]).problem).toMatch(/one manifest at a time/);
    const r = pickManifestFiles(none, [f('a.csv'), f('x.sig'), f('y.sig')]);
    expect(r.problem).toMatch(/expected a\.csv\.sig/);
    expect(r.manifest).toBeNull();
  });

  it('takes the named signature among several', () => {
    const r = pickManifestFiles(none, [f('a.csv'), f('x.sig'), f('a.csv.sig')]);
    expect(r.signature).toEqual(f('a.csv.sig'));
  });

  it('takes a lone signature with another name, with a note to check it', () => {
    const r = pickManifestFiles(none, [f('a.jsonl'), f('other.sig')]);
    expect(r.signature).toEqual(f('other.sig'));
    expect(r.notes.join()).toMatch(/not a\.jsonl\.sig/);
  });

  it('attaches a signature dropped after its manifest; a new manifest drops a signature not named for it', () => {
    const held = pickManifestFiles(none, [f('a.jsonl')]);
    expect(held.signature).toBeNull();
    const signed = pickManifestFiles(held, [f('a.jsonl.sig')]);
    expect(signed).toMatchObject({ manifest: f('a.jsonl'), signature: f('a.jsonl.sig'), notes: [] });
    expect(pickManifestFiles(signed, [f('b.jsonl')]).signature).toBeNull();
    // A signature first waits for its manifest.
    const waiting = pickManifestFiles(none, [f('b.jsonl.sig')]);
    expect(waiting.notes.join()).toMatch(/now add the manifest/);
    expect(pickManifestFiles(waiting, [f('b.jsonl')])).toMatchObject({
      signature: f('b.jsonl.sig'),
      notes: [],
    });
  });

  it('refuses other files alone, and leaves them out (with a note) beside a manifest', () => {
    expect(pickManifestFiles(none, [f('notes.txt')]).problem).toMatch(/notes\.txt is not a manifest/);
    const r = pickManifestFiles(none, [f('a.csv'), f('notes.txt')]);
    expect(r.manifest).toEqual(f('a.csv'));
    expect(r.notes.join()).toMatch(/notes\.txt.*left out/);
  });
});

describe('formatOfName', () => {
  it('tells the format from the extension, in any case', () => {
    expect(formatOfName('x.JSONL')).toBe('jsonl');
    expect(formatOfName('x.ndjson')).toBe('jsonl');
    expect(formatOfName('x.csv')).toBe('csv');
    expect(formatOfName('x.json')).toBeNull();
    expect(formatOfName('x.csv.sig')).toBeNull();
  });
});

describe('parseSignature', () => {
  it('takes base64 with a trailing newline and refuses anything else', () => {
    expect(parseSignature('QUJD\n')).toEqual({ value: 'QUJD' });
    expect(parseSignature('')).toHaveProperty('error');
    expect(parseSignature('not base64!')).toHaveProperty('error');
    expect(parseSignature('A'.repeat(4100))).toHaveProperty('error');
  });
});
