/**
 * The REST client: `http` is openapi-fetch typed by the generated schema (paths, bodies
 * and answers all come from the server's OpenAPI document), and `api` names the calls
 * the editor makes. Every failure becomes an ApiError carrying the server's problem
 * list, so callers can put each message beside the node / param it names.
 */
import createClient from 'openapi-fetch';
import type { Graph } from '../editor/graph/types';
import { graphJson } from '../editor/graph/json';
import { normalizeGraph } from '../editor/graph/transforms';
import type { paths } from './schema';
import type { ApplicationRequest, DiffRequest, ImportedGraph, Problem, ServingReport, WireGraph } from './wire';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problems: Problem[] = [],
    /** The error body as the server sent it (fields beside `errors`, such as a 409's `latest_version`). */
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type FetchLike = (request: Request) => Promise<Response>;

let transport: FetchLike = (request) => fetch(request);

/** Swap the transport (tests); returns the previous one. */
export function setFetcher(next: FetchLike): FetchLike {
  const prev = transport;
  transport = next;
  return prev;
}

/** The page's origin: a Request needs an absolute URL (and the API is same-origin). */
const origin = typeof location === 'undefined' ? 'http://localhost' : location.origin;

export const http = createClient<paths>({ baseUrl: origin, fetch: (request) => transport(request) });

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

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's data; a non-2xx answer or no answer at all becomes an `ApiError`. */
export async function unwrap<T>(pending: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await pending;
  } catch (e) {
    throw new ApiError(0, `Cannot reach the server (${(e as Error).message})`);
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const problems = problemsFromBody(error);
  const text = typeof error === 'string' ? error : JSON.stringify(error ?? '');
  const path = new URL(response.url || origin).pathname;
  const message = problems.length
    ? problems.map((p) => p.message).join('; ')
    : `${path} failed: ${response.status} ${text.slice(0, 200)}`;
  throw new ApiError(response.status, message, problems, error ?? null);
}

const graphPath = (id: string) => ({ params: { path: { graph_id: id } } });

export const api = {
  health: () => unwrap(http.GET('/api/health')),
  catalogue: () => unwrap(http.GET('/api/layers')),
  // sent on every edit: the body's text reuses that of the nodes an edit did not touch
  validate: (graph: Graph) =>
    unwrap(
      http.POST('/api/graphs/validate', { body: { graph }, bodySerializer: () => `{"graph":${graphJson(graph)}}` }),
    ),
  build: (graph: Graph) => unwrap(http.POST('/api/models/build', { body: { graph } })),
  importJson: async (kerasJson: string) =>
    normalizeGraph((await unwrap(http.POST('/api/models/import', { body: { keras_json: kerasJson } }))).graph),
  /**
   * A `.keras` file sent whole, its weights stored as a weight set beside the graph
   * (`keep_weights`); `onProgress` hears the share of the file sent.
   */
  importWithWeights: async (file: File, onProgress: (fraction: number) => void) => {
    const form = new FormData();
    form.append('file', file, file.name);
    const { postForm } = await import('./upload');
    const answer = await postForm<ImportedGraph>('/api/models/import?keep_weights=true', form, onProgress);
    return { graph: normalizeGraph(answer.graph), weights: answer.weights ?? null };
  },
  /** The keras.applications models the server makes (backbones). */
  applications: async () => (await unwrap(http.GET('/api/models/applications'))).applications,
  /** A keras.applications model as a graph, with its pretrained weight set for `weights: "imagenet"`. */
  application: async (body: ApplicationRequest) => {
    const answer = await unwrap(http.POST('/api/models/applications', { body }));
    return { graph: normalizeGraph(answer.graph), weights: answer.weights ?? null };
  },
  // the export route answers with a file, which the schema does not describe
  exportPython: async (graph: Graph) =>
    (await unwrap(http.POST('/api/models/export', { body: { graph, format: 'python' }, parseAs: 'text' }))) as string,
  exportJson: async (graph: Graph) =>
    (await unwrap(http.POST('/api/models/export', { body: { graph, format: 'json' }, parseAs: 'text' }))) as string,
  exportKeras: async (graph: Graph) =>
    (await unwrap(http.POST('/api/models/export', { body: { graph, format: 'keras' }, parseAs: 'blob' }))) as Blob,
  listGraphs: async () => (await unwrap(http.GET('/api/graphs'))).graphs,
  getGraph: async (id: string, version?: number) => {
    const saved = version
      ? await unwrap(
          http.GET('/api/graphs/{graph_id}/versions/{version}', { params: { path: { graph_id: id, version } } }),
        )
      : await unwrap(http.GET('/api/graphs/{graph_id}', graphPath(id)));
    return { ...saved, graph: normalizeGraph(saved.graph as WireGraph) };
  },
  graphVersions: async (id: string) =>
    (await unwrap(http.GET('/api/graphs/{graph_id}/versions', graphPath(id)))).versions,
  createGraph: (name: string, graph: Graph, message?: string) =>
    unwrap(http.POST('/api/graphs', { body: { name, graph, message } })),
  /** A new version, refused (409 `version_conflict`) when someone saved since `baseVersion`. */
  saveGraph: (id: string, name: string, graph: Graph, baseVersion: number, message?: string) =>
    unwrap(
      http.PUT('/api/graphs/{graph_id}', {
        ...graphPath(id),
        body: { name, graph, message, base_version: baseVersion },
      }),
    ),
  deleteGraph: (id: string) => unwrap(http.DELETE('/api/graphs/{graph_id}', graphPath(id))),
  /** The graph a run trained (its stored snapshot). */
  runGraph: async (id: string) => {
    const run = await unwrap(http.GET('/api/runs/{run_id}', { params: { path: { run_id: id } } }));
    if (!run.graph) throw new ApiError(404, `run ${id.slice(0, 8)} has no graph snapshot`);
    return normalizeGraph(run.graph as WireGraph);
  },
  /** Runs, newest first (for pickers: id, status, graph name). */
  runs: async () => (await unwrap(http.GET('/api/runs', { params: { query: { limit: 200 } } }))).runs,
  /** A run's stored files (models, exports and their reports, ...). */
  artifacts: async (runId: string) =>
    (await unwrap(http.GET('/api/runs/{run_id}/artifacts', { params: { path: { run_id: runId } } }))).artifacts,
  /** A serving export's report as stored beside it (`exports/<file>.json`). */
  exportReport: async (runId: string, name: string) =>
    (await unwrap(
      http.GET('/api/runs/{run_id}/artifacts/{name}', {
        params: { path: { run_id: runId, name } },
        parseAs: 'json',
      }),
    )) as ServingReport,
  /** What changed from `a` to `b`: each a graph, a saved version or a run (POST /api/graphs/diff). */
  diff: (a: DiffRequest['a'], b: DiffRequest['b']) => unwrap(http.POST('/api/graphs/diff', { body: { a, b } })),
  examples: async () => (await unwrap(http.GET('/api/examples'))).examples,
  example: async (name: string) =>
    normalizeGraph((await unwrap(http.GET('/api/examples/{name}', { params: { path: { name } } }))).graph as WireGraph),
};
