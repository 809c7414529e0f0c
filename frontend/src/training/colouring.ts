/** The graph as the dashboard: the editor's nodes coloured by a statistic of the run
 * shown (layerStats.ts), when that run trained the graph being drawn. */
import { useEditor } from '../editor/store/editor';
import { colourGraph, STATS, type StatKey } from './layerStats';
import { dataOf, useTraining } from './state';

let overlayKey = '';

/** Is `id` a run of the graph being drawn (its colouring belongs on these nodes)? */
export function runOfThisGraph(id: string | null): boolean {
  return !!id && useEditor.getState().runs.includes(id);
}

/** Recompute the colouring, only when the choice, the run, its statistics or the graph's
 * runs changed. */
export function syncOverlay(): void {
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
