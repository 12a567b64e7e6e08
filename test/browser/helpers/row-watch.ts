import type { Page } from 'playwright-core';

/**
 * Records, inside the page, when each table row (`tr[data-row-id]`) first appears in the DOM, as
 * epoch milliseconds (performance.timeOrigin + performance.now(), the same clock the server's
 * timestamps use on this host), and marks the document so that a reload would be noticed. The
 * script is a string: the test project's TypeScript has no DOM types.
 */
const WATCH_SCRIPT = `(() => {
  if (window.__rowWatch) return;
  const seen = {};
  const scan = () => {
    const now = performance.timeOrigin + performance.now();
    for (const tr of document.querySelectorAll('tr[data-row-id]')) {
      const id = tr.getAttribute('data-row-id');
      if (id && !(id in seen)) seen[id] = now;
    }
  };
  const observer = new MutationObserver(scan);
  observer.observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['data-row-id'] });
  scan();
  window.__rowWatch = { seen, marker: Math.random().toString(36).slice(2) };
  return window.__rowWatch.marker;
})()`;

export interface RowWatch {
  /** When the row first appeared (epoch ms), or undefined if it has not. */
  seenAt(rowId: string): Promise<number | undefined>;
  /** False once the page was reloaded or navigated away from the document being watched. */
  sameDocument(): Promise<boolean>;
}

export const watchRows = async (page: Page): Promise<RowWatch> => {
  const marker = (await page.evaluate(WATCH_SCRIPT)) as string;
  return {
    seenAt: async (rowId) => {
      const t: unknown = await page.evaluate(
        `(window.__rowWatch && window.__rowWatch.seen[${JSON.stringify(rowId)}]) ?? null`,
      );
      return typeof t === 'number' ? t : undefined;
    },
    sameDocument: async () =>
      (await page.evaluate('(window.__rowWatch && window.__rowWatch.marker) ?? null')) === marker,
  };
};
