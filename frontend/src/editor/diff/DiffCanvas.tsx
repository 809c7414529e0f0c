/**
 * A diff drawn over the canvas (read only): the after graph's nodes, added ones green,
 * changed ones amber (each old value on hover), removed ones as red ghosts where they
 * were; new edges green, removed ones red and dashed. Beside it the summary and, when
 * both sides are runs, their curves (the training page's charts, run A solid, B dashed).
 */
import {
  applyNodeChanges,
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  type Edge as FlowEdge,
  type NodeChange,
} from '@xyflow/react';
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import {
  createFlowMapper,
  formatCount,
  type LayerFlowNode,
  type LayerNodeData,
  type ShapeEdgeData,
} from '../canvas/flow';
import { edgeTypes, nodeTypes } from '../canvas/flowTypes';
import { edgeKey } from '../graph/transforms';
import { useEditor } from '../store/editor';
import { closeDiff, sideLabel, useDiff, type ShownDiff } from './diffStore';
import { diffEdges, diffMarks, ghostNodes, ghostPositions } from './diffView';

const RunCurves = lazy(() => import('./RunCurves'));

const PRO_OPTIONS = { hideAttribution: true };
const NO_SELECTION = new Set<string>();

function flowOf(shown: ShownDiff, specs: ReturnType<typeof useEditor.getState>['specs'], colours: Map<string, string>) {
  const { before, after, diff, answer } = shown;
  const marks = diffMarks(after, diff);
  const nodes: LayerFlowNode[] = createFlowMapper()
    .nodes(after, answer, specs, colours, NO_SELECTION, new Map())
    .map((n) => ({
      ...n,
      data: { ...n.data, subgraph: null, openable: false, group: null, diff: marks.get(n.id) ?? null },
    }));
  const places = ghostPositions(before, after, diff);
  for (const { node, inputs, outputs } of ghostNodes(before, diff)) {
    const data: LayerNodeData = {
      type: node.type,
      label: node.name || node.id,
      colour: colours.get(specs.get(node.type)?.category ?? '') ?? '',
      keyParams: '',
      shapes: [],
      params: null,
      macs: null,
      inputs,
      inputNames: null,
      outputs,
      errors: [],
      warnings: [],
      shared: null,
      sharedCount: 0,
      subgraph: null,
      openable: false,
      group: null,
      inner: null,
      trainable: node.trainable !== false,
      trainingOnly: specs.get(node.type)?.training_only === true,
      loaded: false,
      diff: marks.get(node.id) ?? null,
    };
    nodes.push({ id: node.id, type: 'layer', position: places[node.id], data });
  }
  const edges: FlowEdge<ShapeEdgeData>[] = diffEdges(after, diff).map(({ edge, kind }) => ({
    id: `${kind}:${edgeKey(edge)}`,
    type: 'shape',
    source: edge.source,
    sourceHandle: `out-${edge.source_port}`,
    target: edge.target,
    targetHandle: `in-${edge.target_port}`,
    className: kind === 'same' ? undefined : `diff-edge-${kind}`,
    data: {},
  }));
  return { nodes, edges };
}

function DiffFlow({ shown }: { shown: ShownDiff }) {
  const specs = useEditor((s) => s.specs);
  const categories = useEditor((s) => s.categories);
  const colours = useMemo(() => new Map(categories.map((c) => [c.id, c.colour])), [categories]);
  const drawn = useMemo(() => flowOf(shown, specs, colours), [shown, specs, colours]);
  // React Flow measures the cards; the sizes are kept on the nodes (nothing else changes them)
  const [nodes, setNodes] = useState(drawn.nodes);
  useEffect(() => setNodes(drawn.nodes), [drawn]);
  return (
    <ReactFlow
      nodes={nodes}
      edges={drawn.edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      onNodesChange={(changes: NodeChange<LayerFlowNode>[]) => setNodes((ns) => applyNodeChanges(changes, ns))}
      nodesDraggable={false}
      nodesConnectable={false}
      elementsSelectable={false}
      deleteKeyCode={null}
      fitView
      minZoom={0.05}
      maxZoom={2.5}
      proOptions={PRO_OPTIONS}
      colorMode="system"
    >
      <Background gap={20} size={1} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

function NodeList({ title, kind, items }: { title: string; kind: string; items: { id: string; text: string }[] }) {
  if (!items.length) return null;
  return (
    <section className={`diff-list diff-list-${kind}`} data-testid={`diff-list-${kind}`}>
      <h3>
        {title} <span className="count">{items.length}</span>
      </h3>
      <ul>
        {items.map((it) => (
          <li key={it.id} className="small">
            {it.text}
          </li>
        ))}
      </ul>
    </section>
  );
}

function DiffPanel({ shown }: { shown: ShownDiff }) {
  const { diff, a, b } = shown;
  const [pa, pb] = diff.total_params ?? [null, null];
  const runs = a.kind === 'run' && b.kind === 'run' ? ([a.run, b.run] as const) : null;
  return (
    <aside className="diff-panel" data-testid="diff-panel">
      <header>
        <h2>Diff</h2>
        <button onClick={closeDiff} data-testid="diff-close" title="Back to the editor (Escape)">
          Leave diff
        </button>
      </header>
      <p className="small">
        <span className="diff-side">A</span> {sideLabel(a)} → <span className="diff-side">B</span> {sideLabel(b)}
      </p>
      {diff.same ? (
        <p className="muted" data-testid="diff-same">
          Nothing that changes the model differs.
        </p>
      ) : (
        <p className="small" data-testid="diff-summary">
          <span className="diff-added-text">+{diff.added.length} added</span> ·{' '}
          <span className="diff-removed-text">−{diff.removed.length} removed</span> ·{' '}
          <span className="diff-changed-text">{diff.changed.length} changed</span> ·{' '}
          {diff.edges_added.length + diff.edges_removed.length} edges rewired
        </p>
      )}
      {pa !== null && pb !== null && (
        <p className="small" data-testid="diff-params">
          Parameters: {formatCount(pa)} → {formatCount(pb)} ({pb >= pa ? '+' : '−'}
          {formatCount(Math.abs(pb - pa))})
        </p>
      )}
      <NodeList
        title="Added"
        kind="added"
        items={diff.added.map((n) => ({ id: n.id, text: `${n.type} ${n.name ?? n.id}` }))}
      />
      <NodeList
        title="Removed"
        kind="removed"
        items={diff.removed.map((n) => ({ id: n.id, text: `${n.type} ${n.name ?? n.id}` }))}
      />
      <NodeList
        title="Changed"
        kind="changed"
        items={diff.changed.map((c) => ({
          id: c.b,
          text: `${c.type} ${c.b}: ${(c.changes ?? []).map((ch) => ch.param.replace(/^params\./, '')).join(', ') || 'shapes or count'}`,
        }))}
      />
      {runs && (
        <Suspense fallback={<p className="muted small">Loading the curves…</p>}>
          <RunCurves a={runs[0]} b={runs[1]} />
        </Suspense>
      )}
    </aside>
  );
}

export default function DiffCanvas() {
  const shown = useDiff((s) => s.shown);
  const loading = useDiff((s) => s.loading);
  return (
    <div className="diff-canvas" data-testid="diff-canvas">
      {shown ? (
        <>
          <div className="diff-flow">
            <ReactFlowProvider key={JSON.stringify([shown.a, shown.b])}>
              <DiffFlow shown={shown} />
            </ReactFlowProvider>
          </div>
          <DiffPanel shown={shown} />
        </>
      ) : (
        loading && <p className="muted pad">Comparing…</p>
      )}
    </div>
  );
}
