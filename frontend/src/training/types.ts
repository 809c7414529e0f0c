/**
 * Shapes of the training API as the dashboard uses them: run events (one per message on
 * `WS /api/runs/{id}/stream`, the same objects as `GET /api/runs/{id}/events`), runs,
 * data sets and the data set check. Request bodies are typed from the generated OpenAPI
 * file; the responses of these routes are free-form dicts there, so they are spelled out.
 */
import type { components } from '../api/schema';
import type { Problem } from '../editor/graph/types';

export type RunStatus = 'queued' | 'starting' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

export function isTerminal(status: string | null | undefined): boolean {
  return !!status && TERMINAL_STATUSES.has(status);
}

export type Metrics = Record<string, number | null>;

interface EventBase {
  seq: number;
  time: number;
}

export interface StatusEvent extends EventBase {
  type: 'status';
  status: RunStatus;
  error?: { code?: string; message?: string; node?: string | null } | null;
}

export interface BatchEvent extends EventBase {
  type: 'batch';
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  metrics: Metrics;
}

export interface EpochEvent extends EventBase {
  type: 'epoch';
  epoch: number;
  epochs: number;
  metrics: Metrics;
  duration?: number;
}

export interface LogEvent extends EventBase {
  type: 'log';
  level: 'info' | 'warning';
  message: string;
}

export interface ErrorEvent extends EventBase {
  type: 'error';
  code: string;
  message: string;
  node?: string | null;
  epoch?: number | null;
  batch?: number | null;
}

export interface ArtifactEvent extends EventBase {
  type: 'artifact';
  name: string;
  size: number;
}

export type RunEvent = StatusEvent | BatchEvent | EpochEvent | LogEvent | ErrorEvent | ArtifactEvent;

/** A message on the all-runs feed (`WS /api/runs/stream`). */
export interface RunStatusChange {
  type: 'status';
  run_id: string;
  status: RunStatus;
  [key: string]: unknown;
}

export type RunSettingsIn = components['schemas']['RunRequest']['settings'];

export interface RunInfo {
  id: string;
  status: RunStatus;
  created_at?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  metrics?: Metrics | null;
  dataset?: { name: string; [key: string]: unknown } | null;
  settings?: Record<string, unknown> | null;
  graph?: import('../editor/graph/types').Graph | null;
  graph_id?: string | null;
  error?: { code?: string; message?: string; node?: string | null } | null;
  [key: string]: unknown;
}

export interface ArrayInfo {
  shape: number[];
  dtype: string;
  min?: number | null;
  max?: number | null;
  integral?: boolean;
}

export interface DatasetInfo {
  name: string;
  kind: string;
  description: string;
  samples?: number | null;
  inputs?: string[];
  targets?: string[];
  arrays?: Record<string, ArrayInfo>;
  classes?: string[] | null;
}

export interface DatasetCheckAnswer {
  fits: boolean;
  errors: Problem[];
  dataset: DatasetInfo | null;
  graph_valid: boolean;
}

export interface Artifact {
  name: string;
  size: number;
}

/** What the settings form edits (sent as `settings` of `POST /api/runs`). */
export interface TrainForm {
  dataset: string;
  optimizer: string;
  learningRate: number;
  epochs: number;
  batchSize: number;
  validationSplit: number;
}
