import { describe, expect, it } from 'vitest';
import { cursorLinkHeaders, linkHeaders, pageFollows, parsePage, sendPage } from './pagination.js';

describe('pagination', () => {
  it('parses Mender paging with defaults and limits', () => {
    expect(parsePage({})).toEqual({ page: 1, perPage: 20 });
    expect(parsePage({ page: '3', per_page: '500' })).toEqual({ page: 3, perPage: 500 });
    expect(() => parsePage({ per_page: '501' })).toThrow('parameter "per_page" above limit (max: 500)');
    for (const bad of ['0', '-1', 'x', '1.5', '']) {
      if (bad !== '') expect(() => parsePage({ page: bad })).toThrow(/invalid page/);
    }
  });

  it('builds Link headers with page and per_page rewritten, path and query only', () => {
    expect(linkHeaders('/x?status=pending&page=2', { page: 2, perPage: 10 }, { hasNext: true })).toEqual([
      '</x?status=pending&page=1&per_page=10>; rel="first"',
      '</x?status=pending&page=1&per_page=10>; rel="prev"',
      '</x?status=pending&page=3&per_page=10>; rel="next"',
    ]);
    expect(linkHeaders('/x', { page: 1, perPage: 10 }, { hasNext: false, total: 25 })).toEqual([
      '</x?page=1&per_page=10>; rel="first"',
      '</x?page=3&per_page=10>; rel="last"',
    ]);
  });

  it('builds keyset Link headers: first with an empty cursor, next with the cursor, page dropped', () => {
    expect(cursorLinkHeaders('/x?status=pending&page=4&after=abc', 10, 'def')).toEqual([
      '</x?status=pending&per_page=10&after=>; rel="first"',
      '</x?status=pending&per_page=10&after=def>; rel="next"',
    ]);
    expect(cursorLinkHeaders('/x?after=', 20, undefined)).toEqual(['</x?per_page=20&after=>; rel="first"']);
  });

  it('sends a page: X-Total-Count, then Link, then the items; next from the items unless told', () => {
    const sent: { headers: [string, string | string[]][]; body?: unknown } = { headers: [] };
    const reply = {
      header(name: string, value: string | string[]) {
        sent.headers.push([name, value]);
        return reply;
      },
      send: (body: string[]) => {
        sent.body = body;
        return 'sent';
      },
    };
    // Page 2 (10 a page) shows 3 of 14 items: counting the items, an item follows (10 + 3 < 14);
    // judged by page size, no page does (10 + 10 ≥ 14).
    const page = { page: 2, perPage: 10 };
    expect(sendPage(reply, '/x?page=2', page, ['a', 'b', 'c'], 14)).toBe('sent');
    expect(sent).toEqual({
      headers: [
        ['X-Total-Count', '14'],
        ['Link', linkHeaders('/x?page=2', page, { hasNext: true, total: 14 })],
      ],
      body: ['a', 'b', 'c'],
    });
    sent.headers = [];
    sendPage(reply, '/x?page=2', page, ['a', 'b', 'c'], 14, pageFollows(page, 14));
    expect(sent.headers[1]).toEqual(['Link', linkHeaders('/x?page=2', page, { hasNext: false, total: 14 })]);
  });

  it('judges by page size whether a page follows', () => {
    expect(pageFollows({ page: 1, perPage: 10 }, 10)).toBe(false);
    expect(pageFollows({ page: 1, perPage: 10 }, 11)).toBe(true);
    expect(pageFollows({ page: 3, perPage: 10 }, 30)).toBe(false);
  });
});
