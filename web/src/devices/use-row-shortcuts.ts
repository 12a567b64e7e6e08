import { useEffect, useRef } from 'react';

/** Typing in a field (or a dialog being open) switches the shortcuts off. */
const isTyping = (t: EventTarget | null): boolean => {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  if (t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return true;
  if (t instanceof HTMLInputElement) return !['checkbox', 'radio', 'button', 'submit'].includes(t.type);
  return t.getAttribute('role') === 'combobox' || t.getAttribute('role') === 'textbox';
};

export const rowsOf = (tableTestId: string): HTMLElement[] =>
  Array.from(document.querySelectorAll<HTMLElement>(`[data-testid="${tableTestId}"] tbody tr[data-row-id]`));

/** Focuses the row's link (the element that opens the device with Enter). */
export const focusRow = (row: HTMLElement | undefined): void => {
  if (!row) return;
  const target = row.querySelector<HTMLElement>('[data-row-link]') ?? row;
  target.focus();
  row.scrollIntoView({ block: 'nearest' });
};

export const focusRowById = (tableTestId: string, id: string | undefined): void => {
  if (!id) return;
  focusRow(rowsOf(tableTestId).find((r) => r.dataset.rowId === id));
};

/**
 * Keyboard control of a list: ArrowDown/j and ArrowUp/k move the focus across rows, `a` and `r`
 * call onAccept/onReject with the focused row's id (and the id of the row after it, to move the
 * focus there once the row has left the list), `x` toggles its selection.
 */
export const useRowShortcuts = (opts: {
  enabled: boolean;
  tableTestId: string;
  onAccept?: (id: string, nextId: string | undefined) => void;
  onReject?: (id: string, nextId: string | undefined) => void;
  onToggle?: (id: string) => void;
}) => {
  const latest = useRef(opts);
  latest.current = opts;
  const { enabled, tableTestId } = opts;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (isTyping(e.target)) return;
      if (e.target instanceof HTMLElement && e.target.closest('[role="dialog"]')) return;
      const rows = rowsOf(tableTestId);
      if (rows.length === 0) return;
      const current = document.activeElement?.closest<HTMLElement>('tr[data-row-id]') ?? null;
      const i = current ? rows.indexOf(current) : -1;
      const id = i >= 0 ? rows[i]?.dataset.rowId : undefined;
      const nextId = i >= 0 ? (rows[i + 1] ?? rows[i - 1])?.dataset.rowId : undefined;
      switch (e.key) {
        case 'ArrowDown':
        case 'j':
          e.preventDefault();
          focusRow(rows[Math.min(rows.length - 1, i + 1)]);
          break;
        case 'ArrowUp':
        case 'k':
          e.preventDefault();
          focusRow(rows[Math.max(0, i - 1)]);
          break;
        case 'a':
          if (id && latest.current.onAccept) {
            e.preventDefault();
            latest.current.onAccept(id, nextId);
          }
          break;
        case 'x':
          if (id && latest.current.onToggle) {
            e.preventDefault();
            latest.current.onToggle(id);
          }
          break;
        case 'r':
          if (id && latest.current.onReject) {
            e.preventDefault();
            latest.current.onReject(id, nextId);
          }
          break;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled, tableTestId]);
};
