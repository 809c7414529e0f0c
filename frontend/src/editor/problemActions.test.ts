import { describe, expect, it } from 'vitest';
import { distinctFixes, outputCandidates } from './problemActions';
import { addNode, connect } from './graph/transforms';
import { emptyGraph } from './graph/types';

const fix = (label: string, path: string) => ({ label, patch: [{ op: 'remove', path }] });

describe('distinctFixes', () => {
  it('shows a fix offered twice once', () => {
    const fixes = [fix('Remove dense', '/nodes/1'), fix('Remove dense', '/nodes/1'), fix('Set units', '/x')];
    expect(distinctFixes(fixes).map((f) => f.label)).toEqual(['Remove dense', 'Set units']);
  });
  it('takes no fixes', () => {
    expect(distinctFixes(undefined)).toEqual([]);
  });
});

describe('outputCandidates', () => {
  let g = addNode(emptyGraph(), 'Input', { x: 0, y: 0 }).graph;
  g = addNode(g, 'Dense', { x: 0, y: 100 }).graph;
  g = addNode(g, 'Dense', { x: 0, y: 200 }).graph;
  g = connect(g, { source: 'input', source_port: 0, target: 'dense', target_port: 0 });
  g = connect(g, { source: 'dense', source_port: 0, target: 'dense_1', target_port: 0 });

  it('offers the last layer for a graph with no Output', () => {
    expect(outputCandidates(g, { code: 'no_output', node: null })).toEqual(['dense_1']);
  });
  it('offers a layer that leads nowhere, not one that feeds another', () => {
    expect(outputCandidates(g, { code: 'unused_node', node: 'dense_1' })).toEqual(['dense_1']);
    expect(outputCandidates(g, { code: 'unused_node', node: 'dense' })).toEqual([]);
    expect(outputCandidates(g, { code: 'unused_node', node: 'input' })).toEqual([]);
  });
  it('offers nothing for other problems', () => {
    expect(outputCandidates(g, { code: 'shape_mismatch', node: 'dense_1' })).toEqual([]);
  });
});
