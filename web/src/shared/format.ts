export const formatTime = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
};

export const formatAgo = (iso: string | null | undefined, now = Date.now()): string => {
  if (!iso) return 'never';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
};

export const formatBytes = (n: number | null | undefined): string => {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
};

/** The identity of a device as one line: `mac=..., sku=...`. */
export const formatIdentity = (identity: Record<string, unknown> | null | undefined): string =>
  identity
    ? Object.entries(identity)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`)
        .join(', ')
    : '—';

/** A SHA-256 fingerprint as `sha256sum` prints it; the short form is its first 16 hex digits. */
export const shortFingerprint = (fp: string | null | undefined): string => (fp ? `${fp.slice(0, 16)}…` : '—');
