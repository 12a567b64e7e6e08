import { commonErrors } from './errors.js';

export interface Page {
  page: number;
  perPage: number;
}

export const DEFAULT_PER_PAGE = 20;
export const MAX_PER_PAGE = 500;

/** Mender paging rules: page ≥ 1 (default 1), 1 ≤ per_page ≤ 500 (default 20). */
export const parsePage = (query: { page?: string | number; per_page?: string | number }): Page => {
  const page = parsePositive('page', query.page, 1);
  const perPage = parsePositive('per_page', query.per_page, DEFAULT_PER_PAGE);
  if (perPage > MAX_PER_PAGE) {
    throw commonErrors.badRequest(`parameter "per_page" above limit (max: ${MAX_PER_PAGE})`);
  }
  return { page, perPage };
};

const parsePositive = (name: string, raw: string | number | undefined, dflt: number): number => {
  if (raw === undefined || raw === '') return dflt;
  const n = typeof raw === 'number' ? raw : /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) throw commonErrors.badRequest(`invalid ${name} query: "${raw}"`);
  return n;
};

export const offsetOf = (p: Page): number => (p.page - 1) * p.perPage;

/** Whether a page follows, judged by page size alone: this page, were it full, ends before the total. */
export const pageFollows = (p: Page, total: number): boolean => offsetOf(p) + p.perPage < total;

/**
 * RFC 8288 `Link` header values as Mender emits them: one value per relation, the URL being
 * path + query only, with `page` and `per_page` rewritten. `last` only when the total is known.
 */
export const linkHeaders = (url: string, p: Page, opts: { hasNext: boolean; total?: number }): string[] => {
  const [path, query = ''] = url.split('?', 2) as [string, string?];
  const make = (page: number, rel: string) => {
    const params = new URLSearchParams(query);
    params.set('page', String(page));
    params.set('per_page', String(p.perPage));
    return `<${path}?${params.toString()}>; rel="${rel}"`;
  };
  const links = [make(1, 'first')];
  if (p.page > 1) links.push(make(p.page - 1, 'prev'));
  if (opts.hasNext) links.push(make(p.page + 1, 'next'));
  if (opts.total !== undefined) links.push(make(Math.max(1, Math.ceil(opts.total / p.perPage)), 'last'));
  return links;
};

/**
 * `Link` header values of keyset pagination: `first` (the start, `after=` empty) and, when
 * another page follows, `next` with its cursor; `page` is dropped, `per_page` kept.
 */
export const cursorLinkHeaders = (url: string, perPage: number, nextCursor: string | undefined): string[] => {
  const [path, query = ''] = url.split('?', 2) as [string, string?];
  const make = (after: string, rel: string) => {
    const params = new URLSearchParams(query);
    params.delete('page');
    params.delete('after');
    params.set('per_page', String(perPage));
    params.set('after', after);
    return `<${path}?${params.toString()}>; rel="${rel}"`;
  };
  return [make('', 'first'), ...(nextCursor === undefined ? [] : [make(nextCursor, 'next')])];
};

/**
 * The part of a reply a list answer uses (a Fastify reply is one): headers, then the body. `send`
 * is a property so that the body is checked against the route's response schema.
 */
export interface ListReply<B, R> {
  header(name: string, value: string | string[]): ListReply<B, R>;
  send: (body: B) => R;
}

/**
 * The headers of every paged list: `X-Total-Count` (all that match) and `Link` (the values of
 * linkHeaders or cursorLinkHeaders).
 */
export const withPageHeaders = <B, R>(
  reply: ListReply<B, R>,
  total: number,
  links: string[],
): ListReply<B, R> => reply.header('X-Total-Count', String(total)).header('Link', links);

/**
 * Answers one page of a list: its headers (withPageHeaders, `Link` from the request URL), then
 * its items. A next page is announced when the items up to this page's last are fewer than the
 * total, unless `hasNext` says otherwise (pageFollows, or what the query found out).
 */
export const sendPage = <B extends readonly unknown[], R>(
  reply: ListReply<B, R>,
  url: string,
  page: Page,
  items: B,
  total: number,
  hasNext: boolean = offsetOf(page) + items.length < total,
): R => withPageHeaders(reply, total, linkHeaders(url, page, { hasNext, total })).send(items);
