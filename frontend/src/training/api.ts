/**
 * REST calls of the training dashboard: data sets, their check against the graph, runs,
 * their events and artifacts. Failures become the editor client's `ApiError` with the
 * server's problem list, so the panel can show each message as the server wrote it.
 */
import { request as call } from '../api/client';
import type { Graph } from '../editor/graph/types';
import type { Artifact, DatasetCheckAnswer, DatasetInfo, RunEvent, RunInfo, RunSettingsIn } from './types';

const runUrl = (id: string) => `/api/runs/${encodeURIComponent(id)}`;

/** Events come in pages of at most this many; a full page means "ask again". */
export const EVENTS_PAGE = 5000;

export const trainingApi = {
  datasets: async () => (await call<{ datasets: DatasetInfo[] }>('GET', '/api/datasets')).datasets ?? [],
  uploadDataset: (file: File, name?: string, target?: string) => {
    const form = new FormData();
    form.append('file', file, file.name);
    if (name) form.append('name', name);
    if (target) form.append('target', target);
    return call<DatasetInfo>('POST', '/api/datasets', form);
  },
  checkDataset: (graph: Graph, dataset: string) =>
    call<DatasetCheckAnswer>('POST', '/api/datasets/check', { graph, dataset: { name: dataset } }),
  startRun: (graph: Graph, dataset: string, settings: RunSettingsIn) =>
    call<RunInfo>('POST', '/api/runs', { graph, dataset: { name: dataset }, settings }),
  runs: async () => (await call<{ runs: RunInfo[] }>('GET', '/api/runs?limit=200')).runs ?? [],
  run: (id: string) => call<RunInfo>('GET', runUrl(id)),
  cancel: (id: string) => call<RunInfo>('POST', `${runUrl(id)}/cancel`),
  events: async (id: string, after: number) =>
    (await call<{ events: RunEvent[] }>('GET', `${runUrl(id)}/events?after=${after}&limit=${EVENTS_PAGE}`)).events ?? [],
  artifacts: async (id: string) => (await call<{ artifacts: Artifact[] }>('GET', `${runUrl(id)}/artifacts`)).artifacts ?? [],
  artifactUrl: (id: string, name: string) => `${runUrl(id)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`,
};

/** `ws(s)://host/api/...` for a path, following the page's scheme and host. */
export function socketUrl(path: string, loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${path}`;
}

export function runStreamPath(id: string, after: number): string {
  return `${runUrl(id)}/stream?after=${after}`;
}
