import { describe, expect, it } from 'vitest';
import type { ServingReport } from '../api/wire';
import { normalizeGraph } from './graph/transforms';
import { errorColouring, formatRelative } from './quantError';
import { exportReports } from './inspector/ErrorColouringPanel';

const graph = normalizeGraph({
  nodes: [
    { id: 'input', type: 'Input', params: { shape: [4] } },
    { id: 'a', type: 'Dense', params: { units: 4 } },
    { id: 'b', type: 'Dense', params: { units: 4 } },
    { id: 'c', type: 'Dense', params: { units: 4 } },
  ],
});
const err = (relative: number) => ({ max_abs: relative * 3, mean_abs: relative, relative });
const report = (layer_errors: ServingReport['layer_errors']) =>
  ({
    artifact: 'exports/model_int8.onnx',
    quantize: 'int8',
    runtime: 'onnxruntime 1.20',
    layer_errors,
  }) as ServingReport;

describe("a quantized export's layer errors on the graph", () => {
  it('colours on a log scale from the smallest error to the largest, and flags the largest', () => {
    const c = errorColouring(report({ a: err(0.0001), b: err(0.001), c: err(0.01), gone: err(0.5) }), graph)!;
    expect(c.nodes.get('a')!.heat).toBeCloseTo(0);
    expect(c.nodes.get('b')!.heat).toBeCloseTo(0.5);
    expect(c.nodes.get('c')!.heat).toBeCloseTo(1);
    expect(c.nodes.get('c')!.flags).toEqual(['largest quantization error: 1.0 % of the float output']);
    expect(c.nodes.get('a')!.flags).toEqual([]);
    expect(c.nodes.get('b')!.text).toBe('int8 error 0.10 %');
    expect(c.nodes.has('input')).toBe(false);
    expect([c.low, c.high, c.unmatched]).toEqual([0.0001, 0.01, 1]); // `gone` is no node here
    expect(c.label).toContain('model_int8.onnx');
  });

  it('shows nothing for an export without layer errors or none of this graph', () => {
    expect(errorColouring(report(null), graph)).toBeNull();
    expect(errorColouring(report({ other: err(0.1) }), graph)).toBeNull();
  });

  it('gives equal errors one colour', () => {
    const c = errorColouring(report({ a: err(0.002), b: err(0.002) }), graph)!;
    expect([c.nodes.get('a')!.heat, c.nodes.get('b')!.heat]).toEqual([0, 0]);
  });

  it('writes errors as a share of the float output', () => {
    expect(formatRelative(0.006512)).toBe('0.65 %');
    expect(formatRelative(0.22)).toBe('22 %');
    expect(formatRelative(2.2e-6)).toBe('2.2e-4 %');
    expect(formatRelative(0)).toBe('0 %');
  });

  it("finds the stored reports among a run's artifacts", () => {
    expect(
      exportReports(['model.keras', 'exports/model_int8.onnx', 'exports/model_int8.onnx.json', 'evaluation.json']),
    ).toEqual(['exports/model_int8.onnx.json']);
  });
});
