/**
 * The training dashboard's state: a zustand store of small reactive state (form, data
 * sets, check, run list, which run is shown) and, outside it, the per-run event data
 * (RunData), mutable so a burst of batch events costs no copies (feeds.ts bumps `tick`).
 *
 * One action style throughout: every action is a named function exported by the module
 * that holds it (state.ts, feeds.ts, runs.ts, datasets.ts, datasetCheck.ts), changing
 * the store through `useTraining.setState`; the store holds data only. So a component
 * selects data and imports the actions it calls, an action is found by name where it
 * lives, and the actions need no store instance (streams, timers and sockets call them).
 */
import { create } from 'zustand';
import type { components } from '../api/schema';
import type { Problem } from '../editor/graph/types';
import type { GraphColouring, StatKey } from './layerStats';
import { RunData } from './runData';
import type { StreamState } from './runStream';
import type { CheckState } from './startBlocker';
import type { DatasetInfo, RunInfo, TrainForm, WorkerInfo } from './types';

type OptimizerOption = components['schemas']['OptimizerOption'];
export type TrainingOptions = components['schemas']['TrainingOptions'];

/** The form until the server's defaults arrive: nothing chosen yet. */
const UNLOADED_FORM: TrainForm = {
  dataset: '',
  optimizer: '',
  learningRate: NaN,
  epochs: NaN,
  batchSize: NaN,
  validationSplit: NaN,
  layerStats: false,
};

/** What the person set in the form, field by field, survives a reload (localStorage), as
 * the graph and the run shown do; a field never set follows the server's default. */
const CHOSEN_KEY = 'layerforge.trainForm.chosen';
/** Where an older editor kept the whole form shown: a box off there may have been the
 * default of the time rather than a choice, so only its set fields are read. */
const WHOLE_FORM_KEY = 'layerforge.trainForm';

/** The fields of `form` that hold a value of the field's type: a finite number, a name,
 * a box on or off. */
function valuesOf(form: object): Partial<TrainForm> {
  return Object.fromEntries(
    Object.entries(form).filter(
      ([k, v]) =>
        k in UNLOADED_FORM &&
        typeof v === typeof UNLOADED_FORM[k as keyof TrainForm] &&
        (typeof v === 'number' ? Number.isFinite(v) : v !== ''),
    ),
  ) as Partial<TrainForm>;
}

/** The fields of the form shown that were set: not the unloaded form's NaN, '' and false
 * (a box off is a choice only when the person made it: `chosen`). */
function setFields(form: object): Partial<TrainForm> {
  return Object.fromEntries(Object.entries(valuesOf(form)).filter(([, v]) => v !== false));
}

function storedRecord(key: string): object | null {
  const saved = JSON.parse(localStorage.getItem(key) ?? 'null') as unknown;
  return saved && typeof saved === 'object' ? saved : null;
}

/** What the person chose in this browser, on earlier visits. */
function storedChoices(): Partial<TrainForm> {
  try {
    const choices = storedRecord(CHOSEN_KEY);
    if (choices) return valuesOf(choices);
    const whole = storedRecord(WHOLE_FORM_KEY);
    return whole ? setFields(whole) : {};
  } catch {
    return {};
  }
}

/** What the person chose, on earlier visits and this one (setForm). */
let chosen: Partial<TrainForm> = typeof localStorage === 'undefined' ? {} : storedChoices();

/** The server's default settings (GET /api/training/options) under what the person chose
 * and what the form shown already holds (a data set guessed for the graph). */
function formWithDefaults(defaults: TrainingOptions['defaults'], form: TrainForm): TrainForm {
  return {
    dataset: '',
    optimizer: defaults.optimizer?.name ?? UNLOADED_FORM.optimizer,
    learningRate: defaults.optimizer?.learning_rate ?? UNLOADED_FORM.learningRate,
    epochs: defaults.epochs ?? UNLOADED_FORM.epochs,
    batchSize: defaults.batch_size ?? UNLOADED_FORM.batchSize,
    validationSplit: defaults.validation_split ?? UNLOADED_FORM.validationSplit,
    layerStats: defaults.layer_stats ?? UNLOADED_FORM.layerStats,
    ...valuesOf(chosen),
    ...setFields(form),
  };
}

export interface TrainingState {
  /** The optimizers the server accepts (GET /api/training/options). */
  optimizers: OptimizerOption[];
  /** The range of each number setting, by its name in RunSettings (same source). */
  bounds: TrainingOptions['bounds'];
  datasets: DatasetInfo[];
  datasetsError: string | null;
  form: TrainForm;
  check: CheckState;
  runs: RunInfo[];
  runsError: string | null;
  /** The run the charts show (kept in the URL hash and localStorage). */
  viewRunId: string | null;
  /** A second run drawn over the first (dashed). */
  compareRunId: string | null;
  starting: boolean;
  /** Runs asked to cancel, until their terminal status arrives. */
  cancelling: Record<string, true>;
  startProblems: Problem[];
  streams: Record<string, StreamState>;
  feed: 'connecting' | 'live' | 'reconnecting';
  /** Bumped (per animation frame at most) whenever run data changed. */
  tick: number;
  /** The statistic the graph is coloured by for the run shown (null: not coloured), and
   * the epoch (null: the latest). */
  colourBy: { stat: StatKey | null; epoch: number | null };
  /** That colouring of the run shown (drawn on the nodes through the editor's overlay). */
  colouring: GraphColouring | null;
  /** The workers and their devices (GET /api/workers, polled while the page is open). */
  workers: WorkerInfo[];
}

export const useTraining = create<TrainingState>()(() => ({
  optimizers: [],
  bounds: {},
  datasets: [],
  datasetsError: null,
  form: { ...UNLOADED_FORM, ...chosen },
  check: { kind: 'idle' },
  runs: [],
  runsError: null,
  viewRunId: null,
  compareRunId: null,
  starting: false,
  cancelling: {},
  startProblems: [],
  streams: {},
  feed: 'connecting',
  tick: 0,
  colourBy: { stat: null, epoch: null },
  colouring: null,
  workers: [],
}));

const runData = new Map<string, RunData>();

/** The events of run `id` loaded so far (null: not watched). */
export function dataOf(id: string | null): RunData | null {
  return id ? (runData.get(id) ?? null) : null;
}

/** The run's data, empty when first asked for. */
export function runDataOf(id: string): RunData {
  let data = runData.get(id);
  if (!data) {
    data = new RunData(id);
    runData.set(id, data);
  }
  return data;
}

export function setForm(patch: Partial<TrainForm>): void {
  chosen = { ...chosen, ...patch };
  useTraining.setState((s) => ({ form: { ...s.form, ...patch } }));
  try {
    localStorage.setItem(CHOSEN_KEY, JSON.stringify(chosen));
  } catch {
    /* storage disabled: the form still works for this visit */
  }
}

/** What the server offers (GET /api/training/options): its optimizers, the setting
 * ranges, and its defaults under what the person set. */
export function setOptions(o: TrainingOptions): void {
  useTraining.setState((s) => ({
    optimizers: o.optimizers,
    bounds: o.bounds,
    form: formWithDefaults(o.defaults, s.form),
  }));
}
