/** The error report of an import: every problem row as CSV (line, outcome, device_id, reason). */

export const REPORT_HEADER = 'line,outcome,device_id,reason\n';

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

export const reportLine = (r: { line: number; outcome: string; deviceId?: string | null; reason?: string }) =>
  `${r.line},${r.outcome},${r.deviceId ?? ''},${csvCell(r.reason ?? '')}\n`;
