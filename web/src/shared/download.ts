import { apiRaw } from './api';

/** Saves bytes as a file in the browser's download folder. */
export const saveFile = (filename: string, blob: Blob): void => {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};

/** The file name a Content-Disposition header gives, if any. */
export const filenameOf = (disposition: string | null): string | null => {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // a malformed escape: fall back to the plain parameter
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;\s]+)/i.exec(disposition);
  return plain?.[1] ?? plain?.[2] ?? null;
};

/**
 * Downloads a file the management API serves. A plain link cannot do it: the API wants the
 * bearer token in the Authorization header, so the bytes are fetched and saved from memory.
 */
export const downloadFromApi = async (path: string, fallbackName: string): Promise<string> => {
  const r = await apiRaw<Blob>(path, { responseType: 'blob', headers: { Accept: '*/*' } });
  const name = filenameOf(r.headers.get('content-disposition')) ?? fallbackName;
  saveFile(name, r.data);
  return name;
};
