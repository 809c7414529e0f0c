/**
 * The REST client: one function per call the editor makes. Field names follow DESIGN.md
 * ("The REST API, at least"); every failure becomes an ApiError carrying the server's
 * problem list, so callers can put each message beside the node / param it names.
 */
import type { BuildAnswer, Graph, LayerSpec, Problem, ValidateAnswer } from '../editor/graph/types';
import type { components } from './schema';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

let fetcher: FetchLike = (input, init) => fetch(input, init);

/** Swap the transport (tests); returns the previous one. */
export function setFetcher(next: FetchLike): FetchLike {
  const prev = fetcher;
  fetcher = next;
  return prev;
}

/** Turn any error body (our `{errors}`, FastAPI's `{detail}`) into problems. */
export function problemsFromBody(body: unknown): Problem[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, unknown>;
  if (Array.isArray(b.errors)) return b.errors as Problem[];
  if (b.detail && typeof b.detail === 'object' && !Array.isArray(b.detail)) {
    return problemsFromBody(b.detail);
  }
  if (Array.isArray(b.detail)) {
    return (b.detail as { loc?: unknown[]; msg?: string; type?: string }[]).map((d) => ({
      node: null, // FastAPI locations hold a node's index, not its id
      param: null,
      code: d.type ?? 'invalid',
      message: `${(d.loc ?? []).join('.')}: ${d.msg ?? 'invalid'}`,
    }));
  }
  if (typeof b.detail === 'string') return [{ node: null, param: null, code: 'error', message: b.detail }];
  return [];
}

/** One REST call; a non-2xx answer becomes an `ApiError` carrying the server's problems. */
export async function request<T>(method: string, url: string, body?: unknown, accept = 'json'): Promise<T> {
  const init: RequestInit = { method, headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetcher(url, init);
  } catch (e) {
    throw new ApiError(0, `Cannot reach the server (${(e as Error).message})`);
  }
  if (!res.ok) {
    let parsed: unknown = null;
    const text = await res.text();
    try {
      parsed = JSON.parse(text);
    } catch {
      /* plain-text error */
    }
    const problems = problemsFromBody(parsed);
    const message = problems.length
      ? problems.map((p) => p.message).join('; ')
      : `${method} ${url} failed: ${res.status} ${text.slice(0, 200)}`;
    throw new ApiError(res.status, message, problems);
  }
  if (accept === 'text') return (await res.text()) as T;
  if (accept === 'blob') return (await res.blob()) as T;
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

type Schemas = components['schemas'];
/** Wire types generated from the server's OpenAPI document (npm run gen:api). */
export type SavedGraphInfo = Schemas['GraphInfo'];
export type SavedGraph = Omit<Schemas['SavedGraphOut'], 'graph'> & { graph: Graph };
export type GraphVersionInfo = Schemas['VersionInfo'];
export type Health = Schemas['Health'];

export interface ExampleInfo {
  name: string;
  title: string;
  nodes: number;
}

/** Unwrap `{key: [...]}` or a bare list: both shapes are fine for list endpoints. */
export function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const v = (body as Record<string, unknown> | null)?.[key];
  return Array.isArray(v) ? (v as T[]) : [];
}

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  layers: async () => listOf<LayerSpec>(await request('GET', '/api/layers'), 'layers'),
  validate: (graph: Graph) => request<ValidateAnswer>('POST', '/api/graphs/validate', { graph }),
  build: (graph: Graph) => request<BuildAnswer>('POST', '/api/models/build', { graph }),
  importJson: async (kerasJson: string) =>
    (await request<{ graph: Graph }>('POST', '/api/models/import', { keras_json: kerasJson })).graph,
  importFile: async (file: File) => {
    const form = new FormData();
    form.append('file', file, file.name);
    return (await request<{ graph: Graph }>('POST', '/api/models/import', form)).graph;
  },
  exportPython: (graph: Graph) => request<string>('POST', '/api/models/export', { graph, format: 'python' }, 'text'),
  exportJson: (graph: Graph) => request<string>('POST', '/api/models/export', { graph, format: 'json' }, 'text'),
  exportKeras: (graph: Graph) => request<Blob>('POST', '/api/models/export', { graph, format: 'keras' }, 'blob'),
  listGraphs: async () => listOf<SavedGraphInfo>(await request('GET', '/api/graphs'), 'graphs'),
  getGraph: (id: string, version?: number) =>
    request<SavedGraph>('GET', `/api/graphs/${encodeURIComponent(id)}${version ? `/versions/${version}` : ''}`),
  graphVersions: async (id: string) =>
    listOf<GraphVersionInfo>(await request('GET', `/api/graphs/${encodeURIComponent(id)}/versions`), 'versions'),
  createGraph: (name: string, graph: Graph, message?: string) =>
    request<SavedGraph>('POST', '/api/graphs', { name, graph, message }),
  saveGraph: (id: string, name: string, graph: Graph, message?: string) =>
    request<SavedGraph>('PUT', `/api/graphs/${encodeURIComponent(id)}`, { name, graph, message }),
  deleteGraph: (id: string) => request<void>('DELETE', `/api/graphs/${encodeURIComponent(id)}`),
  examples: async () => listOf<ExampleInfo>(await request('GET', '/api/examples'), 'examples'),
  example: async (name: string) =>
    (await request<{ graph: Graph }>('GET', `/api/examples/${encodeURIComponent(name)}`)).graph,
};
