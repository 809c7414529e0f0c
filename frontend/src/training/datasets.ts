/** The data sets the form offers: their list, the one guessed for the graph, an upload. */
import { useEditor } from '../editor/store/editor';
import { trainingApi } from './api';
import { setForm, useTraining } from './state';
import type { DatasetInfo } from './types';

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
function guessDataset(datasets: DatasetInfo[]): string {
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
