import type { Page } from 'playwright-core';

/**
 * Picks `label` in the select with data-testid `testId`: a native <select>, or a Mantine
 * Select/combobox (an input that opens a listbox of role=option).
 */
export const chooseOption = async (page: Page, testId: string, label: string): Promise<void> => {
  const el = page.locator(`[data-testid=${testId}]`);
  await el.waitFor();
  const tag = String(await el.evaluate((e) => e.tagName)).toLowerCase();
  if (tag === 'select') {
    await el.selectOption({ label });
    return;
  }
  await el.click();
  await page.getByRole('option', { name: label, exact: true }).click();
};

/**
 * Remembers, inside the page, whether an element matching `selector` was ever in the DOM (a
 * progress bar may come and go between two polls). Returns a probe for it.
 */
export const watchForElement = async (page: Page, selector: string): Promise<() => Promise<boolean>> => {
  const key = `__seen_${Math.random().toString(36).slice(2)}`;
  await page.evaluate(`(() => {
    const sel = ${JSON.stringify(selector)};
    window[${JSON.stringify(key)}] = false;
    const check = () => { if (document.querySelector(sel)) window[${JSON.stringify(key)}] = true; };
    new MutationObserver(check).observe(document.documentElement, { childList: true, subtree: true, attributes: true });
    check();
  })()`);
  return async () => (await page.evaluate(`window[${JSON.stringify(key)}] === true`)) === true;
};
