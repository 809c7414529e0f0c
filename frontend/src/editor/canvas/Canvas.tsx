/**
 * The node canvas: React Flow fed from the store through the cached graph mapping. Its
 * behaviour lives in hooks: fitting the view (useFitView), React Flow's handlers
 * (useFlowHandlers) and adding layers (dropToAdd); a diff, when one is shown, covers it.
 */
import { Background, ControlButton, Controls, MiniMap, ReactFlow } from '@xyflow/react';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { createFlowMapper, type Size } from './flow';
import { blockFrames, modelFrames } from '../graph/blocks';
import { drawnView } from '../graph/view';
import { useInsideAnswers } from './insideAnswers';
import { createFrameMapper, type CanvasNode } from './BlockFrameNode';
import { ConnectionLine } from './ConnectionLine';
import { checkedAnswer, currentGraph, useEditor } from '../store/editor';
import { edgeTypes, nodeTypes } from './flowTypes';
import { AddNodeSearch } from './AddNodeSearch';
import { NodeMenu } from './NodeMenu';
import { NODE_HEIGHT, NODE_WIDTH, nodeSizeStyle } from './nodeSize';
import { useFitView } from './useFitView';
import { useFlowHandlers } from './useFlowHandlers';
import { addLayerAt, useDropToAdd } from './dropToAdd';
import { useDiff } from '../diff/diffStore';

const DiffCanvas = lazy(() => import('../diff/DiffCanvas'));

const minimapColour = (n: CanvasNode) =>
  n.type === 'frame' ? 'transparent' : n.data.errors.length ? '#ef4444' : n.data.colour || '#94a3b8';

/*
 * Props of <ReactFlow> are kept identical between renders (constants here, callbacks
 * in the hooks): React Flow copies each changed one into its store, and every such
 * update runs the selectors of every node (the minimap's too), which on a 1,000-node
 * graph costs more than the edit itself.
 */
const MULTI_SELECT_KEYS = ['Shift', 'Meta', 'Control'];
const PRO_OPTIONS = { hideAttribution: true };
const DEFAULT_EDGE_OPTIONS = { type: 'shape' };

export function Canvas() {
  const fullGraph = useEditor((s) => currentGraph(s));
  const checked = useEditor(checkedAnswer);
  // collapsed blocks show as one node each, with their parameters and outgoing shapes
  const inside = useInsideAnswers(fullGraph);
  const { graph, validation, models } = useMemo(
    () => drawnView(fullGraph, checked, inside),
    [fullGraph, checked, inside],
  );
  const specs = useEditor((s) => s.specs);
  const categories = useEditor((s) => s.categories);
  const colours = useMemo(() => new Map(categories.map((c) => [c.id, c.colour])), [categories]);
  const selection = useEditor((s) => s.selection);
  const loadedAt = useEditor((s) => s.loadedAt);
  const path = useEditor((s) => s.path);
  const diffShown = useDiff((s) => s.shown !== null || s.loading);
  const canvasRef = useRef<HTMLDivElement>(null);
  const measured = useRef(new Map<string, Size>());
  const { fitAll, onMeasured } = useFitView(canvasRef, measured);
  const { measureTick, edgeSelection, handlers } = useFlowHandlers(canvasRef, measured, onMeasured);
  const { search, setSearch, onDragOver, onDrop, onDoubleClick } = useDropToAdd(canvasRef);
  const mapper = useMemo(() => createFlowMapper(), []);
  const frameMapper = useMemo(() => createFrameMapper(), []);
  const [menu, setMenu] = useState<{ id: string; x: number; y: number } | null>(null);

  const selectedSet = useMemo(() => new Set(selection), [selection]);
  const edgeSet = useMemo(() => new Set(edgeSelection), [edgeSelection]);
  const nodes = useMemo(
    () => mapper.nodes(graph, validation, specs, colours, selectedSet, measured.current),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- measureTick: sizes changed in the ref
    [mapper, graph, validation, specs, colours, selectedSet, measureTick],
  );
  const edges = useMemo(() => mapper.edges(graph, edgeSet), [mapper, graph, edgeSet]);
  // frames behind the expanded blocks of an imported model, sized to their nodes
  const frames = useMemo(() => {
    const estimated = new Map(nodes.map((n) => [n.id, n.initialHeight ?? NODE_HEIGHT]));
    const sizeOf = (id: string) =>
      measured.current.get(id) ?? { width: NODE_WIDTH, height: estimated.get(id) ?? NODE_HEIGHT };
    return frameMapper([
      ...blockFrames(graph, fullGraph.layout.collapsed ?? [], sizeOf, validation),
      ...modelFrames(graph, models, sizeOf, validation),
    ]);
  }, [frameMapper, graph, fullGraph, models, validation, nodes]);
  const drawn = useMemo<CanvasNode[]>(() => (frames.length ? [...frames, ...nodes] : nodes), [frames, nodes]);

  const onNodeContextMenu = useCallback((e: React.MouseEvent, node: CanvasNode) => {
    e.preventDefault();
    const bounds = (e.currentTarget as HTMLElement).closest('.canvas')!.getBoundingClientRect();
    if (!useEditor.getState().selection.includes(node.id)) useEditor.getState().setSelection([node.id]);
    setMenu({ id: node.id, x: e.clientX - bounds.left, y: e.clientY - bounds.top });
  }, []);

  const onPaneClick = useCallback(() => {
    setMenu(null);
    setSearch(null);
  }, [setSearch]);

  useEffect(() => {
    // the node menu closes on Escape and on a press anywhere outside it
    if (!menu) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setMenu(null);
    const onDown = (e: PointerEvent) => {
      if (!(e.target as Element | null)?.closest?.('[data-testid="node-menu"]')) setMenu(null);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('pointerdown', onDown, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('pointerdown', onDown, true);
    };
  }, [menu]);

  useEffect(() => setMenu(null), [loadedAt, path]); // another graph opened: its menu goes

  return (
    <div className="canvas" ref={canvasRef} onDoubleClick={onDoubleClick} data-testid="canvas" style={nodeSizeStyle}>
      <ReactFlow
        nodes={drawn}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        {...handlers}
        connectionLineComponent={ConnectionLine}
        onNodeContextMenu={onNodeContextMenu}
        onPaneClick={onPaneClick}
        onDragOver={onDragOver}
        onDrop={onDrop}
        deleteKeyCode={null}
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        selectionKeyCode="Shift"
        zoomOnDoubleClick={false}
        onlyRenderVisibleElements
        minZoom={0.05}
        maxZoom={2.5}
        proOptions={PRO_OPTIONS}
        colorMode="system"
        defaultEdgeOptions={DEFAULT_EDGE_OPTIONS}
      >
        <Background gap={20} size={1} />
        <MiniMap pannable zoomable nodeColor={minimapColour} nodeStrokeWidth={0} />
        <Controls showInteractive={false} showFitView={false}>
          <ControlButton onClick={fitAll} title="Fit to view" aria-label="Fit to view" className="fit-view">
            <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
              <path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="currentColor" strokeWidth="1.6" />
            </svg>
          </ControlButton>
        </Controls>
      </ReactFlow>
      {graph.nodes.length === 0 && (
        <div className="canvas-empty">
          <h2>Start a model</h2>
          <p>Drag a layer from the palette, double-click the canvas to search, or open a template.</p>
        </div>
      )}
      {search && (
        <AddNodeSearch
          x={search.x}
          y={search.y}
          onPick={(type) => {
            addLayerAt(type, search.flow);
            setSearch(null);
          }}
          onClose={() => setSearch(null)}
        />
      )}
      {menu && <NodeMenu id={menu.id} x={menu.x} y={menu.y} onClose={() => setMenu(null)} />}
      {diffShown && (
        <Suspense fallback={<div className="diff-canvas muted pad">Loading the diff…</div>}>
          <DiffCanvas />
        </Suspense>
      )}
    </div>
  );
}
