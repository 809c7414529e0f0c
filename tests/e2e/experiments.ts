/**
 * Real runs and sweeps for the experiment pages' specs, made through the REST API:
 * small MLPs on scikit-learn's iris (4 features, 3 classes) and digits_flat (64, 10),
 * a few seconds each.
 */
import { expect, type APIRequestContext } from '@playwright/test';

export type RunRequest = {
  graph: Record<string, unknown>;
  dataset: { name: string };
  settings: Record<string, unknown>;
};

/** Input(features) -> Dense(units, relu) -> Dense(classes, softmax) -> Output. */
export function mlpRequest(dataset: 'iris' | 'digits_flat', epochs: number, units = 8): RunRequest {
  const [features, classes] = dataset === 'iris' ? [4, 3] : [64, 10];
  return {
    graph: {
      schema_version: 1,
      name: `${dataset} MLP`,
      nodes: [
        { id: 'input', type: 'Input', params: { shape: [features] } },
        { id: 'hidden', type: 'Dense', params: { units, activation: 'relu' } },
        {
          id: 'head',
          type: 'Dense',
          params: { units: classes, activation: 'softmax' },
        },
        {
          id: 'output',
          type: 'Output',
          params: {
            loss: 'sparse_categorical_crossentropy',
            metrics: ['accuracy'],
          },
        },
      ],
      edges: [
        { source: 'input', target: 'hidden' },
        { source: 'hidden', target: 'head' },
        { source: 'head', target: 'output' },
      ],
    },
    dataset: { name: dataset },
    settings: { epochs, batch_size: 16 },
  };
}

const ENDED = ['succeeded', 'failed', 'cancelled'];

export async function startRun(request: APIRequestContext, body: RunRequest): Promise<string> {
  const res = await request.post('/api/runs', { data: body });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()).id;
}

export async function waitRuns(request: APIRequestContext, ids: string[], timeout = 120_000): Promise<void> {
  for (const id of ids)
    await expect
      .poll(async () => (await (await request.get(`/api/runs/${id}`)).json()).status, { timeout, intervals: [500] })
      .toMatch(new RegExp(`^(${ENDED.join('|')})$`));
}

export async function startSweep(request: APIRequestContext, body: Record<string, unknown>): Promise<string> {
  const res = await request.post('/api/sweeps', { data: body });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()).id;
}

export async function waitSweep(request: APIRequestContext, id: string, timeout = 120_000) {
  await expect
    .poll(async () => (await (await request.get(`/api/sweeps/${id}`)).json()).status, { timeout, intervals: [500] })
    .not.toBe('running');
  return (await request.get(`/api/sweeps/${id}`)).json();
}

/** The run's end-of-epoch values of `metric`, from its REST history. */
export async function epochValues(request: APIRequestContext, runId: string, metric: string): Promise<number[]> {
  const res = await request.get(`/api/runs/${runId}/events?after=0&limit=10000`);
  const events = (await res.json()).events as {
    type: string;
    metrics?: Record<string, number | null>;
  }[];
  return events.filter((e) => e.type === 'epoch').map((e) => e.metrics![metric] as number);
}
