/** Plain-text tables for the console report. Numeric-looking cells are right-aligned. */
export const renderTable = (header: string[], rows: string[][]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNumeric = (s: string) => /^[-+]?[\d.,]+\s*[%x]?$|^[-+]?[\d.,]+ ?(ms|µs|B)$/.test(s.trim());
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return isNumeric(c) ? c.padStart(w) : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n: number): string => `${n.toFixed(2)} ms`;
export const fmtUs = (n: number): string =>
  `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n)} µs`;
export const fmtRatio = (n: number): string => (n >= 10 ? n.toFixed(1) : n.toFixed(3));
export const fmtPct = (n: number): string => `${Math.round(n * 100)}%`;
