import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  renderEventTable,
  typesInTable,
  WEBHOOKS_DOC_PATH,
  withEventTable,
} from '../scripts/webhooks-event-table.js';
import { EVENT_TYPES, eventTypes } from '../src/events/event-types.js';

/** Sent to receivers but not events of the outbox: not subscribable, not in the audit log. */
const REQUEST_TYPES = ['webhook.ping', 'allocation.request'];

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );

/** Files that write events: through recordEvent(s), the bootstrap write-behind buffer, or raw SQL (migrations). */
const EMITS = /recordEvents?\(|eventBuffer\.add\(|recordChange|insertInto\('events'\)/;
const domains = [...new Set(eventTypes.map((t) => t.split('.')[0] as string))];
const LITERAL = new RegExp(`['"\`]((?:${domains.join('|')})\\.[a-z_]+)['"\`]`, 'g');
const TEMPLATE = new RegExp(`\`((?:${domains.join('|')})\\.)\\$\\{`, 'g');

describe('the event registry (src/events/event-types.ts)', () => {
  const doc = readFileSync(WEBHOOKS_DOC_PATH, 'utf8');

  it(`the event table in ${WEBHOOKS_DOC_PATH} matches it (run \`npm run docs\`)`, () => {
    expect(doc, `${WEBHOOKS_DOC_PATH} is stale: run npm run docs`).toBe(withEventTable(doc));
    expect(doc).toContain(renderEventTable());
  });

  it('the table lists exactly the registered types, once each, in registry order', () => {
    expect(typesInTable(doc)).toEqual([...eventTypes]);
    expect(new Set(eventTypes).size).toBe(eventTypes.length);
  });

  it('has every event type that the code writes', () => {
    const registered = new Set<string>(eventTypes);
    const unknown: string[] = [];
    let emitters = 0;
    for (const file of sourceFiles('src')) {
      if (file.startsWith(join('src', 'events', 'event-types'))) continue;
      const text = readFileSync(file, 'utf8');
      if (!EMITS.test(text)) continue;
      emitters++;
      for (const [, type] of text.matchAll(LITERAL))
        if (!registered.has(type as string) && !REQUEST_TYPES.includes(type as string))
          unknown.push(`${file}: ${type}`);
      for (const [, prefix] of text.matchAll(TEMPLATE))
        if (!eventTypes.some((t) => t.startsWith(prefix as string))) unknown.push(`${file}: ${prefix}\${…}`);
    }
    expect(emitters).toBeGreaterThan(20);
    expect(unknown).toEqual([]);
  });

  it('describes every type and keeps request types out', () => {
    for (const [type, e] of Object.entries(EVENT_TYPES)) {
      expect(type).toMatch(/^[a-z_]+\.[a-z_]+$/);
      expect(e.when.length, type).toBeGreaterThan(10);
    }
    for (const t of REQUEST_TYPES) expect(eventTypes).not.toContain(t);
  });
});
