/**
 * Everything the dashboard knows about one run, folded from its events: the chart
 * table, the status, the latest batch/epoch (for the progress bar), errors and log
 * lines. Mutable on purpose: events arrive by the hundred and the panel re-reads this
 * once per animation frame (see store.ts).
 */
import { addEvent, batchStep, emptyTable, pointCount, type SeriesTable } from './series';
import type {
  AdaptedEvent,
  BatchEvent,
  EpochEvent,
  ErrorEvent,
  LayerStatsEvent,
  LogEvent,
  RunEvent,
  RunStatus,
  StatusEvent,
  SystemEvent,
  WeightsEvent,
} from './types';

const MAX_LOG_LINES = 200;

export class RunData {
  readonly table: SeriesTable = emptyTable();
  status: RunStatus | null = null;
  statusError: StatusEvent['error'] = null;
  /** Server time (unix s) training began: the `running` status, else the first batch. */
  startedAt: number | null = null;
  lastTime: number | null = null;
  lastBatch: BatchEvent | null = null;
  /** The first batch event: the pace is measured from it, past the start-up (build, tracing). */
  firstBatch: BatchEvent | null = null;
  lastEpoch: EpochEvent | null = null;
  errors: ErrorEvent[] = [];
  logs: LogEvent[] = [];
  artifacts: string[] = [];
  /** Per-node training statistics, one event per measured epoch: the first, the last and others within the trainer's time budget (settings.layer_stats). */
  layerStats: LayerStatsEvent[] = [];
  /** The trainer's CPU, memory and GPU samples (every few seconds while it fits). */
  system: SystemEvent[] = [];
  /** What a run started from trained weights loaded, skipped and initialised. */
  weights: WeightsEvent | null = null;
  /** What each preprocessing node adapted before fit learned (vocabulary, mean, bins). */
  adapted: AdaptedEvent[] = [];
  /** Events folded in (seq-deduplicated upstream by RunStream). */
  events = 0;

  constructor(readonly runId: string) {}

  apply(events: RunEvent[]): void {
    for (const ev of events) {
      this.events += 1;
      this.lastTime = ev.time ?? this.lastTime;
      switch (ev.type) {
        case 'status':
          this.status = ev.status;
          if (ev.error) this.statusError = ev.error;
          if (ev.status === 'running' && this.startedAt === null) this.startedAt = ev.time;
          break;
        case 'batch':
          if (this.startedAt === null) this.startedAt = ev.time;
          this.firstBatch ??= ev;
          this.lastBatch = ev;
          addEvent(this.table, ev);
          break;
        case 'epoch':
          this.lastEpoch = ev;
          addEvent(this.table, ev);
          break;
        case 'error':
          this.errors.push(ev);
          break;
        case 'log':
          this.logs.push(ev);
          if (this.logs.length > MAX_LOG_LINES) this.logs.splice(0, this.logs.length - MAX_LOG_LINES);
          break;
        case 'artifact':
          if (!this.artifacts.includes(ev.name)) this.artifacts.push(ev.name);
          break;
        case 'layer_stats':
          this.layerStats.push(ev);
          break;
        case 'system':
          this.system.push(ev);
          break;
        case 'weights':
          this.weights = ev;
          break;
        case 'adapted':
          this.adapted.push(ev);
          break;
      }
    }
  }

  get points(): number {
    return pointCount(this.table);
  }
}

export interface Progress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** 0..1 of all batches of all epochs. */
  fraction: number;
  elapsedS: number | null;
  /** Linear estimate from the pace since the first batch; null until that pace means something. */
  leftS: number | null;
}

/** Batches past the first one before the time left is guessed (the first include tracing). */
export const ETA_AFTER_BATCHES = 5;

export function progressOf(
  d: Pick<RunData, 'firstBatch' | 'lastBatch' | 'lastEpoch' | 'startedAt' | 'lastTime' | 'status'>,
): Progress | null {
  const b = d.lastBatch;
  const e = d.lastEpoch;
  if (!b && !e) return null;
  const epochs = b?.epochs ?? e?.epochs ?? 1; // absent: the trainer did not know
  // an epoch event after the last batch event means that epoch is complete
  const useEpoch = e && (!b || e.epoch >= b.epoch);
  const done = useEpoch ? e.epoch + 1 : batchStep(b!);
  const fraction = d.status === 'succeeded' ? 1 : Math.min(1, Math.max(0, done / Math.max(1, epochs)));
  const elapsedS = d.startedAt !== null && d.lastTime !== null ? Math.max(0, d.lastTime - d.startedAt) : null;
  return {
    epoch: useEpoch ? e.epoch : b!.epoch,
    epochs,
    batch: useEpoch ? (b?.batches ?? 1) - 1 : b!.batch,
    batches: b?.batches ?? 0,
    fraction,
    elapsedS,
    leftS: fraction >= 1 ? 0 : timeLeft(d, epochs, fraction, !!useEpoch),
  };
}

/**
 * Time left at the pace since the first batch (the start-up before it, and the slow
 * first steps, would make it hours at batch 1): once a few batches or an epoch are done.
 */
function timeLeft(
  d: Pick<RunData, 'firstBatch' | 'lastBatch' | 'lastTime'>,
  epochs: number,
  fraction: number,
  epochDone: boolean,
): number | null {
  const first = d.firstBatch;
  const last = d.lastBatch;
  if (!first || !last || d.lastTime === null) return null;
  const batchesSince = (batchStep(last) - batchStep(first)) * Math.max(1, last.batches ?? 1);
  if (batchesSince < ETA_AFTER_BATCHES && !epochDone) return null;
  const progressed = fraction - batchStep(first) / Math.max(1, epochs);
  const seconds = d.lastTime - first.time;
  if (progressed <= 0 || seconds <= 0) return null;
  return (seconds * (1 - fraction)) / progressed;
}

export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '–';
  if (s < 1) return '<1 s';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
