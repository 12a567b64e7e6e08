import { ApiError, tokenStore } from '../shared/api';
import { ARTIFACTS_PATH } from './artifact-api';

export interface Upload {
  /** Resolves with the new artifact's id (from the Location header, when the server sends it). */
  done: Promise<string | null>;
  cancel: () => void;
}

export class UploadCancelled extends Error {
  constructor() {
    super('Upload cancelled');
    this.name = 'UploadCancelled';
  }
}

const parse = (xhr: XMLHttpRequest): unknown => {
  const text = xhr.responseText;
  if (!text) return null;
  if ((xhr.getResponseHeader('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
};

const errorOf = (xhr: XMLHttpRequest): ApiError => {
  const body = parse(xhr);
  const b = body && typeof body === 'object' ? (body as { error?: unknown; request_id?: unknown }) : {};
  const message =
    typeof b.error === 'string' && b.error
      ? b.error
      : typeof body === 'string' && body.trim()
        ? body.trim().slice(0, 500)
        : xhr.statusText || `HTTP ${xhr.status}`;
  const retry = Number(xhr.getResponseHeader('retry-after'));
  return new ApiError(
    xhr.status,
    message,
    xhr.getResponseHeader('x-men-requestid') ?? (typeof b.request_id === 'string' ? b.request_id : null),
    body,
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
};

/**
 * Uploads an artifact as mender-cli does (multipart: size, description, then the file), with an
 * XMLHttpRequest because fetch reports no upload progress.
 */
export const uploadArtifact = (
  file: File,
  description: string,
  onProgress: (fraction: number) => void,
): Upload => {
  const xhr = new XMLHttpRequest();
  const form = new FormData();
  form.append('size', String(file.size));
  if (description.trim()) form.append('description', description.trim());
  form.append('artifact', file, file.name);
  const done = new Promise<string | null>((resolve, reject) => {
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        const location = xhr.getResponseHeader('location');
        resolve(location ? decodeURIComponent(location.split('/').pop() ?? '') || null : null);
      } else reject(errorOf(xhr));
    };
    xhr.onerror = () =>
      reject(
        new ApiError(
          0,
          'The upload was interrupted: the server cannot be reached, or it closed the connection (a file over its size limit is refused this way too).',
          null,
          null,
          null,
        ),
      );
    xhr.onabort = () => reject(new UploadCancelled());
  });
  xhr.open('POST', ARTIFACTS_PATH);
  xhr.setRequestHeader('Accept', 'application/json');
  const token = tokenStore.get();
  if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
  xhr.send(form);
  return { done, cancel: () => xhr.abort() };
};
