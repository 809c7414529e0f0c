import { afterEach, describe, expect, it } from 'vitest';
import { api, ApiError, problemsFromBody, setFetcher } from './client';
import { emptyGraph } from '../editor/graph/types';

let restore: ReturnType<typeof setFetcher> | null = null;
afterEach(() => {
  if (restore) setFetcher(restore);
  restore = null;
});

function respond(status: number, body: unknown, type = 'application/json') {
  const seen: { url: string; method: string; body: string }[] = [];
  restore = setFetcher(async (request) => {
    seen.push({ url: new URL(request.url).pathname, method: request.method, body: await request.clone().text() });
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': type },
    });
  });
  return seen;
}

describe('API client', () => {
  it('posts the graph to validate under the fixed field name', async () => {
    const seen = respond(200, { valid: true, model_type: null, total_params: 0, errors: [], warnings: [], nodes: {} });
    const answer = await api.validate(emptyGraph());
    expect(answer.valid).toBe(true);
    expect(seen[0].url).toBe('/api/graphs/validate');
    expect(seen[0].method).toBe('POST');
    expect(JSON.parse(seen[0].body)).toEqual({ graph: emptyGraph() });
  });

  it('turns an error body into an ApiError with the problems', async () => {
    respond(422, { errors: [{ node: 'dense', param: 'units', code: 'bad_param', message: 'units must be >= 1' }] });
    const err = (await api.build(emptyGraph()).catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.problems[0]).toMatchObject({ node: 'dense', param: 'units' });
    expect(err.message).toBe('units must be >= 1');
  });

  it('reads FastAPI detail bodies and plain text errors', async () => {
    expect(
      problemsFromBody({ detail: [{ loc: ['body', 'graph'], msg: 'field required', type: 'missing' }] })[0],
    ).toMatchObject({
      code: 'missing',
      message: 'body.graph: field required',
    });
    respond(500, 'boom', 'text/plain');
    const err = (await api.health().catch((e) => e)) as ApiError;
    expect(err.status).toBe(500);
    expect(err.message).toContain('boom');
  });

  it('reports an unreachable server as status 0', async () => {
    restore = setFetcher(async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = (await api.catalogue().catch((e) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.message).toContain('Cannot reach the server');
  });

  it('exports Python as text and unwraps list bodies', async () => {
    respond(200, 'import keras\n', 'text/x-python');
    expect(await api.exportPython(emptyGraph())).toBe('import keras\n');
    respond(200, { graphs: [{ id: 'g1', name: 'm', latest_version: 2, created_at: '', updated_at: '' }], total: 1 });
    expect((await api.listGraphs())[0].latest_version).toBe(2);
    const seen = respond(200, { id: 'g1', name: 'm', version: 1, graph: emptyGraph() });
    await api.getGraph('g1', 1);
    expect(seen[0].url).toBe('/api/graphs/g1/versions/1');
  });
});
