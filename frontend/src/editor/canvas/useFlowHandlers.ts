/**
 * React Flow's event handlers for the canvas, each a stable callback (see the note in
 * Canvas.tsx): selection, moves and drags into the store, sizes into `measured`, new
 * connections checked against the graph, and the edge selection kept here.
 */
import type {
  Connection,
  Edge as FlowEdge,
  EdgeChange,
  FinalConnectionState,
  InternalNode,
  NodeChange,
  OnSelectionChangeParams,
  Viewport,
} from '@xyflow/react';
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { connect, connectionProblem } from '../graph/transforms';
import { currentGraph, useEditor, type Snapshot } from '../store/editor';
import { FRAME_PREFIX, type CanvasNode } from './BlockFrameNode';
import { refusalOf } from './ConnectionLine';
import type { Size } from './flow';

export function useFlowHandlers(
  canvasRef: RefObject<HTMLDivElement>,
  measured: RefObject<Map<string, Size>>,
  onMeasured: () => void,
) {
  const [measureTick, setMeasureTick] = useState(0);
  const [edgeSelection, setEdgeSelection] = useState<string[]>([]);
  const dragStart = useRef<Snapshot | null>(null);

  useEffect(() => {
    useEditor.getState().setEdgeSelection(edgeSelection);
  }, [edgeSelection]);

  const onNodesChange = useCallback(
    (all: NodeChange<CanvasNode>[]) => {
      // frames are drawn from their nodes: nothing React Flow says about them is kept
      const changes = all.filter((c) => !('id' in c) || !c.id.startsWith(FRAME_PREFIX));
      let sized = false;
      const moved: Record<string, { x: number; y: number }> = {};
      let anyMove = false;
      for (const c of changes) {
        if (c.type === 'dimensions' && c.dimensions) {
          const prev = measured.current!.get(c.id);
          if (!prev || prev.width !== c.dimensions.width || prev.height !== c.dimensions.height) {
            measured.current!.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
            sized = true;
          }
        } else if (c.type === 'position' && c.position) {
          moved[c.id] = c.position;
          anyMove = true;
        }
      }
      const selects = changes.filter((c) => c.type === 'select');
      if (selects.length) {
        const cur = new Set(useEditor.getState().selection);
        for (const c of selects) {
          if (c.type !== 'select') continue;
          if (c.selected) cur.add(c.id);
          else cur.delete(c.id);
        }
        useEditor.getState().setSelection([...cur]);
      }
      if (anyMove) useEditor.getState().moveNodes(moved);
      if (sized) {
        setMeasureTick((t) => t + 1);
        onMeasured();
      }
    },
    [measured, onMeasured],
  );

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const selects = changes.filter((c) => c.type === 'select');
    if (!selects.length) return;
    setEdgeSelection((prev) => {
      const cur = new Set(prev);
      for (const c of selects) {
        if (c.type !== 'select') continue;
        if (c.selected) cur.add(c.id);
        else cur.delete(c.id);
      }
      return [...cur];
    });
  }, []);

  const onSelectionChange = useCallback(({ edges: es }: OnSelectionChangeParams) => {
    if (!es.length) setEdgeSelection((prev) => (prev.length ? [] : prev));
  }, []);

  const onConnect = useCallback((c: Connection) => {
    if (!c.sourceHandle?.startsWith('out-') || !c.targetHandle?.startsWith('in-')) return;
    useEditor.getState().edit((g) =>
      connect(g, {
        source: c.source,
        source_port: Number(c.sourceHandle!.slice(4)),
        target: c.target,
        target_port: Number(c.targetHandle!.slice(3)),
      }),
    );
  }, []);

  const isValidConnection = useCallback((c: Connection | FlowEdge) => {
    if (!c.sourceHandle?.startsWith('out-') || !c.targetHandle?.startsWith('in-')) return false;
    const edge = {
      source: c.source,
      source_port: Number(c.sourceHandle.slice(4)),
      target: c.target,
      target_port: Number(c.targetHandle.slice(3)),
    };
    return !connectionProblem(currentGraph(useEditor.getState()), edge);
  }, []);

  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, st: FinalConnectionState<InternalNode>) => {
    if (st.isValid !== false || !st.toHandle) return;
    const reason = refusalOf({ node: st.fromNode, handle: st.fromHandle }, { node: st.toNode, handle: st.toHandle });
    if (reason) useEditor.getState().notify(`Not connected: ${reason}`, 'error');
  }, []);

  const onNodeDragStart = useCallback(() => {
    const s = useEditor.getState();
    dragStart.current = { root: s.root, path: s.path };
  }, []);

  const onNodeDragStop = useCallback(() => {
    if (dragStart.current) useEditor.getState().commitMove(dragStart.current);
    dragStart.current = null;
  }, []);

  const onMove = useCallback(
    (_: unknown, vp: Viewport) => {
      canvasRef.current?.style.setProperty('--port-scale', String(Math.min(4, Math.max(1, 1 / vp.zoom))));
    },
    [canvasRef],
  );

  return {
    measureTick,
    edgeSelection,
    handlers: {
      onNodesChange,
      onEdgesChange,
      onSelectionChange,
      onConnect,
      isValidConnection,
      onConnectEnd,
      onNodeDragStart,
      onNodeDragStop,
      onMove,
    },
  };
}
