/**
 * A quantized export's error on the graph: each node's output against the float Keras
 * model (`layer_errors[node].relative` of a serving export's report, POST
 * /api/runs/{id}/export or its stored `exports/<file>.json`) as a colour and a value on
 * the node, so the layer that loses the accuracy is found at a glance. Colours run on a
 * log scale from the smallest error in the model to the largest; the largest is flagged.
 */
import type { ServingReport } from '../api/wire';
import type { Graph } from './graph/types';
import { useEditor, type NodeMark, type NodeOverlay } from './store/editor';

export interface ErrorColouring extends NodeOverlay {
  /** What is shown: the export and its quantization. */
  label: string;
  low: number;
  high: number;
  /** Errors in the report for nodes this graph does not have. */
  unmatched: number;
}

/** 0.0065 -> "0.65 %"; small ones in scientific notation. */
export function formatRelative(r: number): string {
  const pct = r * 100;
  if (pct === 0) return '0 %';
  return pct >= 0.01 ? `${pct.toPrecision(2)} %` : `${pct.toExponential(1)} %`;
}

/** The report's layer errors as marks on `graph`'s nodes; null when it has none (not quantized, LiteRT int8). */
export function errorColouring(report: ServingReport, graph: Graph): ErrorColouring | null {
  const errors = report.layer_errors;
  if (!errors) return null;
  const ids = new Set(graph.nodes.map((n) => n.id));
  const here = Object.entries(errors).filter(([id, e]) => ids.has(id) && Number.isFinite(e.relative));
  if (!here.length) return null;
  const values = here.map(([, e]) => e.relative);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const floor = Math.max(low, 1e-12);
  const span = Math.log10(Math.max(high, floor)) - Math.log10(floor);
  const nodes = new Map<string, NodeMark>();
  for (const [id, e] of here) {
    const heat = span > 0 ? (Math.log10(Math.max(e.relative, floor)) - Math.log10(floor)) / span : 0;
    const flags =
      e.relative === high && high > 0
        ? [`largest quantization error: ${formatRelative(high)} of the float output`]
        : [];
    nodes.set(id, { heat, text: `${report.quantize ?? 'float'} error ${formatRelative(e.relative)}`, flags });
  }
  return {
    nodes,
    label: `${report.artifact} (${report.quantize ?? 'not quantized'}, ${report.runtime})`,
    low,
    high,
    unmatched: Object.keys(errors).length - here.length,
  };
}

/**
 * Colour the graph being drawn by a serving export's layer errors (or stop: null). What
 * a quantized export answers can be passed here as it is. Returns whether it had any.
 */
export function showLayerErrors(report: ServingReport | null): boolean {
  const s = useEditor.getState();
  const colouring = report ? errorColouring(report, s.root) : null;
  s.setErrorOverlay(colouring);
  return colouring !== null;
}
