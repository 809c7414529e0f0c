/** Starting and cancelling runs, and which run the charts show (and compare with). */
import { ApiError } from '../api/client';
import { normalizeGraph } from '../editor/graph/transforms';
import type { Graph } from '../editor/graph/types';
import { initialWeightsOf } from '../editor/graph/weights';
import { confirmDiscard } from '../editor/store/commands';
import { useEditor } from '../editor/store/editor';
import { trainingApi } from './api';
import { syncOverlay } from './colouring';
import { scheduleTick, upsertRun, watchRun } from './feeds';
import { writeActiveRun } from './resume';
import { useTraining } from './state';
import type { TrainForm } from './types';

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
