/**
 * A multipart POST that reports how much of the body was sent: fetch cannot tell upload
 * progress, so this one kind of call is an XMLHttpRequest. Its answer and failures are
 * read as the typed client reads them (an ApiError with the server's problems).
 */
import { ApiError, problemsFromBody } from './client';

/** The little of XMLHttpRequest used here (tests give a stand-in). */
export interface UploadRequest {
  open(method: string, url: string): void;
  send(body: FormData): void;
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  status: number;
  responseText: string;
}

export function postForm<T>(
  url: string,
  form: FormData,
  onProgress: (fraction: number) => void,
  request: () => UploadRequest = () => new XMLHttpRequest() as unknown as UploadRequest,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = request();
    xhr.open('POST', url);
    xhr.upload.onprogress = (e) => e.lengthComputable && e.total > 0 && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, 'Cannot reach the server'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON: the status says it
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T);
      const problems = problemsFromBody(body);
      const message = problems.length
        ? problems.map((p) => p.message).join('; ')
        : `${url} failed: ${xhr.status} ${xhr.responseText.slice(0, 200)}`;
      reject(new ApiError(xhr.status, message, problems, body));
    };
    xhr.send(form);
  });
}
