/**
 * Names for the training API's wire types, all taken from the schema generated from the
 * server's OpenAPI document (src/api/schema.d.ts): run events (one per message on
 * `WS /api/runs/{id}/stream`, the same objects as `GET /api/runs/{id}/events`), runs,
 * data sets and the data set check. Only the settings form is the editor's own.
 */
import type { Readable } from 'openapi-typescript-helpers';
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export type RunStatus = Schemas['StatusEvent']['status'];

/** Whether a run in each status is over; the compiler asks for every status the server has. */
const ENDED: Record<RunStatus, boolean> = {
  queued: false,
  starting: false,
  running: false,
  succeeded: true,
  failed: true,
  cancelled: true,
};

export function isTerminal(status: string | null | undefined): boolean {
  return !!status && ENDED[status as RunStatus] === true;
}

export type Metrics = Schemas['EpochEvent']['metrics'];
export type StatusEvent = Schemas['StatusEvent'];
export type BatchEvent = Schemas['BatchEvent'];
export type EpochEvent = Schemas['EpochEvent'];
export type LayerStatsEvent = Schemas['LayerStatsEvent'];
export type LogEvent = Schemas['LogEvent'];
export type ErrorEvent = Schemas['ErrorEvent'];
export type ArtifactEvent = Schemas['ArtifactEvent'];
export type SystemEvent = Schemas['SystemEvent'];
export type WeightsEvent = Schemas['WeightsEvent'];
export type AdaptedEvent = Schemas['AdaptedEvent'];
/** A message on a run's stream: one of its events (pings are dropped by the socket). */
export type RunEvent = Schemas['EventList']['events'][number];

/** A message on the all-runs feed (`WS /api/runs/stream`). */
export type RunStatusChange = Schemas['RunStatusChange'];

export type RunSettingsIn = NonNullable<Schemas['RunRequest']['settings']>;
/** A run as `GET /api/runs/{id}` answers (the list's rows have no graph). */
export type RunInfo = Schemas['Run'];
export type RunSummary = Schemas['RunSummary'];
export type ArrayInfo = Schemas['ArrayInfo'];
/** As the typed client answers them: openapi-fetch reads answers through `Readable`
 * (which also makes a tuple such as `image_size` a plain array). */
export type DatasetInfo = Readable<Schemas['DatasetInfo']>;
export type DatasetCheckAnswer = Readable<Schemas['DatasetCheckAnswer']>;
export type Artifact = Schemas['Artifact'];
export type Estimate = Schemas['Estimate'];

/** What the settings form edits (sent as `settings` of `POST /api/runs`). */
export interface TrainForm {
  dataset: string;
  optimizer: string;
  learningRate: number;
  epochs: number;
  batchSize: number;
  validationSplit: number;
  /** Per-node statistics at the epochs measured, for colouring the graph (settings.layer_stats). */
  layerStats: boolean;
}

/** A worker as GET /api/workers lists it: its devices, each with the run on it. */
export type WorkerInfo = Schemas['WorkerInfo'];
