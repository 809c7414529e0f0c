/**
 * The per-node output error of a quantized serving export (its parity report's
 * `layer_errors`), for the canvas: `useLayerErrors` holds the last report's errors and
 * the run they belong to; `layerErrorMarks` turns them into the editor overlay's node
 * marks (colour by relative error, on a log scale, so the layer that loses the accuracy
 * stands out), which `showLayerErrors` draws.
 */
import { create } from 'zustand';
import type { NodeMark } from '../editor/store/editor';
import { useEditor } from '../editor/store/editor';
import type { LayerError } from '../experiments/api';

export interface LayerErrorsState {
  runId: string | null;
  /** By node id; null: no quantized export shown. */
  errors: Record<string, LayerError> | null;
}

export const useLayerErrors = create<LayerErrorsState>()(() => ({ runId: null, errors: null }));

export function setLayerErrors(runId: string | null, errors: Record<string, LayerError> | null): void {
  useLayerErrors.setState({ runId, errors });
}

/** Relative errors below this are drawn as no error at all. */
const FLOOR = 1e-6;

export function layerErrorMarks(errors: Record<string, LayerError>): Map<string, NodeMark> {
  const logs = Object.values(errors).map((e) => Math.log10(Math.max(FLOOR, e.relative)));
  const lo = Math.min(...logs);
  const hi = Math.max(...logs);
  const marks = new Map<string, NodeMark>();
  for (const [id, e] of Object.entries(errors)) {
    const v = Math.log10(Math.max(FLOOR, e.relative));
    marks.set(id, {
      heat: hi === lo ? 1 : (v - lo) / (hi - lo),
      text: `quantization error ${(e.relative * 100).toPrecision(2)} % (max ${e.max_abs.toPrecision(2)})`,
      flags: [],
    });
  }
  return marks;
}

/** Draw the errors on the canvas (the editor's overlay), or clear them. */
export function showLayerErrors(errors: Record<string, LayerError> | null): void {
  useEditor.getState().setOverlay(errors ? { nodes: layerErrorMarks(errors) } : null);
}
