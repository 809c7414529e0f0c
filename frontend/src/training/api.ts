/**
 * REST calls of the training dashboard: data sets, their check against the graph, runs,
 * their events and artifacts, through the typed client (src/api/client.ts). Failures
 * become `ApiError` with the server's problem list, so the panel can show each message
 * as the server wrote it.
 */
import { http, unwrap } from '../api/client';
import type { Graph } from '../editor/graph/types';
import type {
  Artifact,
  DatasetCheckAnswer,
  DatasetInfo,
  Estimate,
  RunEvent,
  RunInfo,
  RunSettingsIn,
  RunSummary,
  WorkerInfo,
} from './types';

const run = (id: string) => ({ params: { path: { run_id: id } } });

/** Events come in pages of at most this many; a full page means "ask again". */
export const EVENTS_PAGE = 5000;

export const trainingApi = {
  /** Optimizers (with their default learning rates), losses, metrics, statuses: the server's tables. */
  options: () => unwrap(http.GET('/api/training/options')),
  datasets: async (): Promise<DatasetInfo[]> => (await unwrap(http.GET('/api/datasets'))).datasets,
  uploadDataset: async (file: File, target?: string) => {
    const form = new FormData();
    form.append('file', file, file.name);
    if (target) form.append('target', target);
    const body = form as unknown as { file: string };
    return unwrap(http.POST('/api/datasets', { body }));
  },
  checkDataset: (graph: Graph, dataset: string): Promise<DatasetCheckAnswer> =>
    unwrap(http.POST('/api/datasets/check', { body: { graph, dataset: { name: dataset } } })),
  /** Workers heard from recently: their devices and the runs on them. */
  workers: async (): Promise<WorkerInfo[]> => (await unwrap(http.GET('/api/workers'))).workers,
  /** Training and inference memory of the graph for these settings (POST /api/graphs/estimate). */
  estimate: (graph: Graph, settings: RunSettingsIn, deviceMemoryBytes?: number): Promise<Estimate> =>
    unwrap(
      http.POST('/api/graphs/estimate', {
        body: { graph, settings, device_memory_bytes: deviceMemoryBytes ?? null },
      }),
    ),
  startRun: (graph: Graph, dataset: string, settings: RunSettingsIn): Promise<RunInfo> =>
    unwrap(http.POST('/api/runs', { body: { graph, dataset: { name: dataset }, settings } })),
  runs: async (): Promise<RunSummary[]> =>
    (await unwrap(http.GET('/api/runs', { params: { query: { limit: 200 } } }))).runs,
  run: (id: string): Promise<RunInfo> => unwrap(http.GET('/api/runs/{run_id}', run(id))),
  cancel: (id: string) => unwrap(http.POST('/api/runs/{run_id}/cancel', run(id))),
  events: async (id: string, after: number): Promise<RunEvent[]> =>
    (
      await unwrap(
        http.GET('/api/runs/{run_id}/events', {
          params: { path: { run_id: id }, query: { after, limit: EVENTS_PAGE } },
        }),
      )
    ).events,
  artifacts: async (id: string): Promise<Artifact[]> =>
    (await unwrap(http.GET('/api/runs/{run_id}/artifacts', run(id)))).artifacts,
  artifactUrl: (id: string, name: string) =>
    `/api/runs/${encodeURIComponent(id)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`,
};

/** `ws(s)://host/api/...` for a path, following the page's scheme and host. */
export function socketUrl(path: string, loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${path}`;
}

/**
 * The URL of a socket opened with a fresh single-use ticket (`POST /api/auth/ticket`):
 * a browser cannot send a header on a WebSocket, and a long-lived token never goes in
 * a URL. Asked right before each (re)connection, since a ticket serves one socket.
 */
export async function ticketedSocketUrl(path: string): Promise<string> {
  const { ticket } = await unwrap(http.POST('/api/auth/ticket'));
  return socketUrl(`${path}${path.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`);
}

export function runStreamPath(id: string, after: number): string {
  return `/api/runs/${encodeURIComponent(id)}/stream?after=${after}`;
}
