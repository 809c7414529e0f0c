/**
 * The training dashboard's state and actions. Small reactive state lives in a zustand
 * store (form, data sets, check, run list, which run is shown); the per-run event data
 * (RunData) is mutable and kept outside it, and `tick` is bumped at most once per
 * animation frame when any of it changed, so a burst of batch events costs one render.
 * Streams live here too, not in components: switching dock tabs keeps them running.
 */
import { create } from 'zustand';
import type { components } from '../api/schema';
import { ApiError } from '../api/client';
import type { Problem } from '../editor/graph/types';
import { normalizeGraph } from '../editor/graph/transforms';
import type { Graph } from '../editor/graph/types';
import { initialWeightsOf } from '../editor/graph/weights';
import { confirmDiscard } from '../editor/store/commands';
import { useEditor } from '../editor/store/editor';
import { meaningOf } from '../editor/store/validation';
import { runStreamPath, ticketedSocketUrl, trainingApi } from './api';
import { RetryingSocket } from './reconnect';
import { readActiveRun, writeActiveRun } from './resume';
import { colourGraph, STATS, type GraphColouring, type StatKey } from './layerStats';
import { RunData } from './runData';
import { RunStream, type StreamState } from './runStream';
import type { CheckState } from './startBlocker';
import {
  isTerminal,
  type DatasetInfo,
  type RunInfo,
  type RunStatusChange,
  type TrainForm,
  type WorkerInfo,
} from './types';

export const CHECK_DEBOUNCE_MS = 300;

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

/** The form survives a reload (localStorage), as the graph and the run shown do. */
const FORM_KEY = 'layerforge.trainForm';

/** The fields of `form` that were set: a number, a name, a ticked box (not the
 * unloaded form's NaN, '' and false). */
function setFields(form: Record<string, unknown>): Partial<TrainForm> {
  return Object.fromEntries(
    Object.entries(form).filter(([k, v]) => k in UNLOADED_FORM && (typeof v === 'number' ? Number.isFinite(v) : !!v)),
  ) as Partial<TrainForm>;
}

/** What this browser kept of the form. */
function storedForm(): Partial<TrainForm> {
  try {
    const saved = JSON.parse(localStorage.getItem(FORM_KEY) ?? 'null') as Record<string, unknown> | null;
    return saved && typeof saved === 'object' ? setFields(saved) : {};
  } catch {
    return {};
  }
}

/** The server's default settings (GET /api/training/options) under what the person set. */
export function formWithDefaults(defaults: TrainingOptions['defaults'], form: Partial<TrainForm>): TrainForm {
  const kept = setFields(form);
  return {
    dataset: '',
    optimizer: defaults.optimizer?.name ?? UNLOADED_FORM.optimizer,
    learningRate: defaults.optimizer?.learning_rate ?? UNLOADED_FORM.learningRate,
    epochs: defaults.epochs ?? UNLOADED_FORM.epochs,
    batchSize: defaults.batch_size ?? UNLOADED_FORM.batchSize,
    validationSplit: defaults.validation_split ?? UNLOADED_FORM.validationSplit,
    layerStats: defaults.layer_stats ?? UNLOADED_FORM.layerStats,
    ...kept,
  };
}

export type OptimizerOption = components['schemas']['OptimizerOption'];
export type TrainingOptions = components['schemas']['TrainingOptions'];

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
  form: { ...UNLOADED_FORM, ...(typeof localStorage === 'undefined' ? {} : storedForm()) },
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
const streams = new Map<string, RunStream>();

export function dataOf(id: string | null): RunData | null {
  return id ? (runData.get(id) ?? null) : null;
}

// -- coalesced re-render ---------------------------------------------------------------
let framePending = false;
const nextFrame: (fn: () => void) => void =
  typeof requestAnimationFrame === 'function' ? (fn) => requestAnimationFrame(fn) : (fn) => setTimeout(fn, 16);

function scheduleTick(): void {
  if (framePending) return;
  framePending = true;
  nextFrame(() => {
    framePending = false;
    useTraining.setState((s) => ({ tick: s.tick + 1 }));
    syncOverlay();
  });
}

// -- the graph as the dashboard ----------------------------------------------------------
let overlayKey = '';

/** Is `id` a run of the graph being drawn (its colouring belongs on these nodes)? */
export function runOfThisGraph(id: string | null): boolean {
  return !!id && useEditor.getState().runs.includes(id);
}

/** Colour the editor's nodes by the chosen statistic of the run shown (layerStats.ts),
 * when that run trained the graph being drawn; recomputed only when the choice, the run,
 * its statistics or the graph's runs change. */
function syncOverlay(): void {
  const { colourBy, viewRunId } = useTraining.getState();
  const data = runOfThisGraph(viewRunId) ? dataOf(viewRunId) : null;
  const stat = STATS.find((s) => s.key === colourBy.stat);
  const key = JSON.stringify([colourBy, viewRunId, data?.layerStats.length ?? -1, useEditor.getState().runs]);
  if (key === overlayKey) return;
  overlayKey = key;
  const colouring = stat && data ? colourGraph(data.layerStats, stat, colourBy.epoch) : null;
  useTraining.setState({ colouring });
  useEditor.getState().setOverlay(colouring ? { nodes: colouring.nodes } : null);
}

export function setColourBy(colourBy: { stat: StatKey | null; epoch: number | null }): void {
  useTraining.setState({ colourBy });
  syncOverlay();
}

// -- runs ------------------------------------------------------------------------------
/** Add a run, or update one listed. A status alone never adds a run: a run listed without
 * its settings broke every view that reads them (the list's refresh brings it whole). */
function upsertRun(run: Partial<RunInfo> & { id: string }): void {
  useTraining.setState((s) => {
    const i = s.runs.findIndex((r) => r.id === run.id);
    if (i < 0 && !run.settings) return {};
    if (i < 0) return { runs: [{ status: 'queued', ...run } as RunInfo, ...s.runs] };
    const runs = s.runs.slice();
    runs[i] = { ...runs[i], ...run };
    return { runs };
  });
}

export async function refreshRuns(): Promise<void> {
  try {
    const runs = await trainingApi.runs();
    useTraining.setState({ runs, runsError: null });
  } catch (e) {
    useTraining.setState({ runsError: (e as Error).message });
  }
}

/** Make sure the run's events are loaded and, while it is live, streamed. */
export function watchRun(id: string): RunData {
  let data = runData.get(id);
  if (!data) {
    data = new RunData(id);
    runData.set(id, data);
  }
  if (!streams.has(id)) {
    const d = data;
    const stream = new RunStream({
      runId: id,
      after: 0,
      fetchEvents: trainingApi.events,
      socketUrl: (runId, after) => ticketedSocketUrl(runStreamPath(runId, after)),
      onEvents: (events) => {
        d.apply(events);
        for (const ev of events) if (ev.type === 'status') upsertRun({ id, status: ev.status });
        scheduleTick();
      },
      onState: (st) => useTraining.setState((s) => ({ streams: { ...s.streams, [id]: st } })),
    });
    streams.set(id, stream);
    void stream.start();
  }
  return data;
}

export function viewRun(id: string | null): void {
  useTraining.setState((s) => ({
    viewRunId: id,
    compareRunId: s.compareRunId === id ? null : s.compareRunId,
    colourBy: { ...s.colourBy, epoch: null },
  }));
  syncOverlay();
  writeActiveRun(id);
  if (id) watchRun(id);
  scheduleTick();
}

export function compareRun(id: string | null): void {
  useTraining.setState({ compareRunId: id });
  if (id) watchRun(id);
  scheduleTick();
}

export function setForm(patch: Partial<TrainForm>): void {
  useTraining.setState((s) => ({ form: { ...s.form, ...patch } }));
  try {
    localStorage.setItem(FORM_KEY, JSON.stringify(useTraining.getState().form));
  } catch {
    /* storage disabled: the form still works for this visit */
  }
}

/** The run settings of the form, starting from the graph's weight set when it has one
 * (imported with weights, a pretrained backbone: editor/graph/weights.ts). */
export function settingsOf(form: TrainForm, graph: Graph = useEditor.getState().root) {
  return {
    epochs: form.epochs,
    batch_size: form.batchSize,
    validation_split: form.validationSplit,
    optimizer: { name: form.optimizer, learning_rate: form.learningRate },
    layer_stats: form.layerStats,
    initial_weights: initialWeightsOf(graph),
  };
}

export async function startRun(): Promise<void> {
  const { form } = useTraining.getState();
  const graph = useEditor.getState().root;
  useTraining.setState({ starting: true, startProblems: [] });
  try {
    const run = await trainingApi.startRun(graph, form.dataset, settingsOf(form, graph));
    upsertRun(run);
    useEditor.getState().addRun(run.id);
    viewRun(run.id);
  } catch (e) {
    const err = e as ApiError;
    useTraining.setState({
      startProblems: err.problems?.length
        ? err.problems
        : [{ node: null, param: null, code: 'error', message: err.message }],
    });
  } finally {
    useTraining.setState({ starting: false });
  }
}

export async function cancelRun(id: string): Promise<void> {
  useTraining.setState((s) => ({ cancelling: { ...s.cancelling, [id]: true } }));
  try {
    const run = await trainingApi.cancel(id);
    upsertRun({ id, status: run.status });
  } catch (e) {
    useTraining.setState((s) => {
      const { [id]: _, ...rest } = s.cancelling;
      return { cancelling: rest };
    });
    useEditor.getState().notify(`Cancel failed: ${(e as Error).message}`, 'error');
  }
}

/** Put the graph a run trained into the editor, as a copy (the run keeps its snapshot). */
export async function openRunGraph(id: string): Promise<void> {
  try {
    const run = await trainingApi.run(id);
    if (!run.graph) throw new Error('the run has no graph snapshot');
    if (!confirmDiscard('open the model this run trained')) return;
    const editor = useEditor.getState();
    const name = `${run.graph.name || 'Model'} (from run ${id.slice(0, 8)})`;
    editor.load(normalizeGraph({ ...run.graph, name }), null, { dirty: true, runs: [id] });
    viewRun(id);
    editor.notify(`Opened the graph of run ${id.slice(0, 8)} as a copy`);
  } catch (e) {
    useEditor.getState().notify(`Cannot open the run's graph: ${(e as Error).message}`, 'error');
  }
}

// -- data sets and the check -------------------------------------------------------------
export async function loadDatasets(): Promise<void> {
  try {
    const datasets = await trainingApi.datasets();
    useTraining.setState((s) => ({
      datasets,
      datasetsError: null,
      form: datasets.some((d) => d.name === s.form.dataset) ? s.form : { ...s.form, dataset: guessDataset(datasets) },
    }));
  } catch (e) {
    useTraining.setState({ datasetsError: (e as Error).message });
  }
}

/** The first built-in set whose input width matches the graph's first Input node, else the first set. */
export function guessDataset(datasets: DatasetInfo[]): string {
  const input = useEditor.getState().root.nodes.find((n) => n.type === 'Input');
  const shape = JSON.stringify(input?.params?.shape ?? null);
  const fit = datasets.find((d) => {
    const x = d.arrays?.[d.inputs?.[0] ?? 'x'];
    return x && JSON.stringify(x.shape.slice(1)) === shape;
  });
  return fit?.name ?? datasets[0]?.name ?? '';
}

/** Upload, then select it; returns whether it worked (a failure is shown as a toast). */
export async function uploadDataset(file: File, target?: string): Promise<boolean> {
  try {
    const info = await trainingApi.uploadDataset(file, target);
    await loadDatasets();
    setForm({ dataset: info.name });
    useEditor.getState().notify(`Uploaded data set "${info.name}"`);
    return true;
  } catch (e) {
    useEditor.getState().notify(`Upload failed: ${(e as Error).message}`, 'error');
    return false;
  }
}

let checkTimer: ReturnType<typeof setTimeout> | null = null;
let checkTicket = 0;

async function runCheck(): Promise<void> {
  checkTimer = null;
  const graph = useEditor.getState().root;
  const { dataset } = useTraining.getState().form;
  if (!dataset || !graph.nodes.length) {
    useTraining.setState({ check: { kind: 'idle' } });
    return;
  }
  const ticket = ++checkTicket;
  useTraining.setState({ check: { kind: 'checking' } });
  try {
    const answer = await trainingApi.checkDataset(graph, dataset);
    if (ticket === checkTicket) useTraining.setState({ check: { kind: 'done', answer, graph } });
  } catch (e) {
    if (ticket !== checkTicket) return;
    const err = e as ApiError;
    // a graph the server cannot even read comes back as a 422 with problems: it does not fit
    if (err.status === 422 && err.problems.length) {
      useTraining.setState({
        check: { kind: 'done', answer: { fits: false, errors: err.problems, dataset: null, graph_valid: false } },
      });
    } else useTraining.setState({ check: { kind: 'error', message: err.message } });
  }
}

export function scheduleCheck(delay = CHECK_DEBOUNCE_MS): void {
  if (checkTimer) clearTimeout(checkTimer);
  useTraining.setState((s) => (s.check.kind === 'checking' ? {} : { check: { ...s.check, kind: 'checking' } }));
  checkTimer = setTimeout(() => void runCheck(), delay);
}

/** How often the workers list is asked for again (their heartbeats are a few seconds apart). */
const WORKERS_POLL_MS = 5000;

async function loadWorkers(): Promise<void> {
  if (typeof document !== 'undefined' && document.hidden) return;
  try {
    useTraining.setState({ workers: await trainingApi.workers() });
  } catch {
    // kept as last heard: the next poll tries again
  }
}

// -- start-up ----------------------------------------------------------------------------
let started = false;

/** Idempotent: data sets, runs, the all-runs status feed, the live check, resume. */
export function initTraining(): void {
  if (started) return;
  started = true;
  void loadDatasets().then(() => scheduleCheck(0));
  trainingApi.options().then(
    (o) =>
      useTraining.setState((s) => ({
        optimizers: o.optimizers,
        bounds: o.bounds,
        form: formWithDefaults(o.defaults, s.form),
      })),
    (e) => useEditor.getState().notify(`Cannot read the training options: ${(e as Error).message}`, 'error'),
  );
  void refreshRuns();
  void loadWorkers();
  setInterval(() => void loadWorkers(), WORKERS_POLL_MS);

  const feed = new RetryingSocket({
    url: () => ticketedSocketUrl('/api/runs/stream'),
    isFinal: (code) => code === 4403,
    onOpen: () => void refreshRuns(), // catch up on what changed while we were away
    onState: (st) =>
      useTraining.setState({
        feed: st.kind === 'open' ? 'live' : st.kind === 'waiting' ? 'reconnecting' : 'connecting',
      }),
    onMessage: (text) => {
      let msg: RunStatusChange;
      try {
        msg = JSON.parse(text);
      } catch {
        return;
      }
      if (msg.type !== 'status' || !msg.run_id) return;
      const known = useTraining.getState().runs.some((r) => r.id === msg.run_id);
      upsertRun({ id: msg.run_id, status: msg.status });
      void loadWorkers(); // a run started or ended on some device
      if (!known || isTerminal(msg.status)) void refreshRuns(); // new run, or final metrics
    },
  });
  feed.start();

  useEditor.subscribe((s, prev) => {
    if (s.runs !== prev.runs) {
      // another graph opened: the charts of a run that is not its own go
      const { viewRunId, compareRunId } = useTraining.getState();
      if (compareRunId && !s.runs.includes(compareRunId)) compareRun(null);
      if (viewRunId && !s.runs.includes(viewRunId)) viewRun(null);
      else syncOverlay();
    }
    if (s.root === prev.root) return;
    const a = meaningOf(s.root);
    const b = meaningOf(prev.root);
    if (a.every((v, i) => v === b[i])) return;
    scheduleCheck();
  });
  useTraining.subscribe((s, prev) => {
    if (s.form.dataset !== prev.form.dataset) scheduleCheck(0);
  });

  const resumed = readActiveRun();
  if (resumed) viewRun(resumed);
}
