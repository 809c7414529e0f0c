/**
 * REST calls of the experiment pages (sweeps, a run's results, serving exports,
 * fine-tuning, image data sets), typed by the generated schema like the rest of the
 * client; failures are `ApiError`s with the server's problems.
 */
import type { Readable } from 'openapi-typescript-helpers';
import type { components } from '../api/schema';
import { ApiError, http, unwrap } from '../api/client';
import { postForm } from '../api/upload';

type Schemas = components['schemas'];
/** Answers as the typed client reads them (see DatasetInfo in ../training/types). */
type Answer<K extends keyof Schemas> = Readable<Schemas[K]>;

export type Sweep = Answer<'Sweep'>;
export type Trial = Answer<'Trial'>;
export type Dimension = Schemas['Dimension'];
export type SweepRequest = Schemas['SweepRequest'];
export type Evaluation = Answer<'Evaluation'>;
export type OutputResults = Answer<'OutputResults'>;
export type EvaluatedSample = Answer<'EvaluatedSample'>;
export type CellSamples = Answer<'CellSamples'>;
export type ServingExportRequest = Schemas['ServingExportRequest'];
export type ServingReport = Answer<'ServingReport'>;
export type LayerError = Answer<'LayerError'>;
export type FineTuneRequest = Schemas['FineTuneRequest'];
export type SampleList = Answer<'SampleList'>;
export type DatasetInfo = Answer<'DatasetInfo'>;

const sweepPath = (id: string) => ({ params: { path: { sweep_id: id } } });
const runPath = (id: string) => ({ params: { path: { run_id: id } } });

export const experimentsApi = {
  sweeps: async (): Promise<Sweep[]> => (await unwrap(http.GET('/api/sweeps'))).sweeps,
  sweep: (id: string): Promise<Sweep> => unwrap(http.GET('/api/sweeps/{sweep_id}', sweepPath(id))),
  createSweep: (body: SweepRequest): Promise<Sweep> => unwrap(http.POST('/api/sweeps', { body })),
  cancelSweep: (id: string): Promise<Sweep> => unwrap(http.POST('/api/sweeps/{sweep_id}/cancel', sweepPath(id))),
  /** The run's stored evaluation.json, or null when it has none. */
  storedEvaluation: async (runId: string): Promise<Evaluation | null> => {
    const res = await fetch(`/api/runs/${encodeURIComponent(runId)}/artifacts/evaluation.json`);
    if (res.status === 404) return null;
    if (!res.ok) throw new ApiError(res.status, `evaluation.json: ${res.status}`);
    return (await res.json()) as Evaluation;
  },
  evaluate: (runId: string): Promise<Evaluation> =>
    unwrap(http.POST('/api/runs/{run_id}/evaluate', { ...runPath(runId), body: {} })),
  exportForServing: (runId: string, body: ServingExportRequest): Promise<ServingReport> =>
    unwrap(http.POST('/api/runs/{run_id}/export', { ...runPath(runId), body })),
  fineTune: (runId: string, body: FineTuneRequest) =>
    unwrap(http.POST('/api/runs/{run_id}/fine-tune', { ...runPath(runId), body })),
  samples: (name: string, cls: string, n: number): Promise<SampleList> =>
    unwrap(
      http.GET('/api/datasets/{name}/samples', { params: { path: { name }, query: { class: cls, n, size: 72 } } }),
    ),
};

export function sweepStreamPath(id: string): string {
  return `/api/sweeps/${encodeURIComponent(id)}/stream`;
}

export interface ImageSetOptions {
  name?: string;
  imageHeight: number;
  imageWidth: number;
  colorMode: 'grayscale' | 'rgb' | 'rgba';
  validationSplit: number;
}

/**
 * Upload a .zip of class folders with the image options (POST /api/datasets, multipart),
 * reporting the share sent (0..1) as it goes: fetch cannot tell upload progress, so
 * this one call is an XMLHttpRequest.
 */
export function uploadImageSet(
  file: File,
  o: ImageSetOptions,
  onProgress: (fraction: number) => void,
): Promise<DatasetInfo> {
  const form = new FormData();
  form.append('file', file, file.name);
  if (o.name) form.append('name', o.name);
  form.append('image_height', String(o.imageHeight));
  form.append('image_width', String(o.imageWidth));
  form.append('color_mode', o.colorMode);
  form.append('validation_split', String(o.validationSplit));
  return postForm<DatasetInfo>('/api/datasets', form, onProgress);
}
