import { describe, expect, it } from 'vitest';
import { ApiError } from './client';
import { postForm, type UploadRequest } from './upload';

/** A stand-in request: sends in three chunks, then answers `status` with `body`. */
function fake(status: number, body: string) {
  const sent: { url?: string; form?: FormData } = {};
  const req: UploadRequest = {
    upload: { onprogress: null },
    onload: null,
    onerror: null,
    status: 0,
    responseText: '',
    open: (_m, url) => (sent.url = url),
    send(form) {
      sent.form = form;
      for (const loaded of [0, 50, 100]) req.upload.onprogress?.({ lengthComputable: true, loaded, total: 100 });
      req.status = status;
      req.responseText = body;
      req.onload?.();
    },
  };
  return { req, sent };
}

describe('a multipart upload with progress', () => {
  it('reports the share sent and answers the parsed body', async () => {
    const { req, sent } = fake(200, '{"graph": {"nodes": []}}');
    const seen: number[] = [];
    const form = new FormData();
    form.append('file', new Blob(['x']), 'm.keras');
    const answer = await postForm(
      '/api/models/import?keep_weights=true',
      form,
      (f) => seen.push(f),
      () => req,
    );
    expect(answer).toEqual({ graph: { nodes: [] } });
    expect(seen).toEqual([0, 0.5, 1]);
    expect(sent.url).toBe('/api/models/import?keep_weights=true');
    expect(sent.form?.get('file')).toBeInstanceOf(Blob);
  });

  it("fails with the server's problems", async () => {
    const body = '{"errors": [{"node": null, "param": "file", "code": "too_large", "message": "over 1 GB"}]}';
    const err = await postForm<never>(
      '/u',
      new FormData(),
      () => undefined,
      () => fake(413, body).req,
    ).catch((e: ApiError) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(413);
    expect(err.message).toBe('over 1 GB');
    expect(err.problems[0].param).toBe('file');
  });

  it('says so when the answer is not JSON', async () => {
    const err = await postForm<never>(
      '/u',
      new FormData(),
      () => undefined,
      () => fake(502, 'Bad gateway').req,
    ).catch((e: ApiError) => e);
    expect(err.message).toBe('/u failed: 502 Bad gateway');
  });
});
