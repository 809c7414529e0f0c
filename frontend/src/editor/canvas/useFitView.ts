/**
 * Fitting the canvas to its graph: a freshly opened graph or sub-graph is shown whole
 * (again as React Flow measures its nodes, since sizes change the fit), a big one at its
 * start; a fitted view stays fitted when the canvas changes size; a focus request (the
 * problems list) centres its node.
 */
import { getViewportForBounds, useReactFlow, type Viewport } from '@xyflow/react';
import { useCallback, useEffect, useRef, type RefObject } from 'react';
import { drawnView } from '../graph/view';
import { currentGraph, useEditor } from '../store/editor';
import { NODE_HEIGHT, NODE_WIDTH } from './nodeSize';
import type { Size } from './flow';

/** Above this many nodes a graph opens at its start instead of fitted to the view. */
const LARGE_GRAPH = 150;

export interface FitView {
  /** Fit every node into view now. */
  fitAll(): void;
  /** Fit shortly (coalesced), and again as nodes are measured while a fit is pending. */
  onMeasured(): void;
}

export function useFitView(canvasRef: RefObject<HTMLDivElement>, measured: RefObject<Map<string, Size>>): FitView {
  const rf = useReactFlow();
  const rfRef = useRef(rf);
  rfRef.current = rf;
  const focusRequest = useEditor((s) => s.focusRequest);
  const loadedAt = useEditor((s) => s.loadedAt);
  const path = useEditor((s) => s.path);
  const fitTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const fitUntil = useRef(0);
  /** The viewport of the last fit, while the user has not moved it since. */
  const fitted = useRef<Viewport | null>(null);

  /**
   * Fit every node into view. React Flow's own fitView waits until every node has been
   * measured, which never happens for nodes it skips rendering off screen; positions
   * plus known (or estimated) sizes are enough.
   */
  const fitAll = useCallback(() => {
    const el = canvasRef.current;
    const g = drawnView(currentGraph(useEditor.getState()), null).graph;
    if (!el || !g.nodes.length) return;
    const positions = g.layout.positions ?? {};
    let x0 = Infinity,
      y0 = Infinity,
      x1 = -Infinity,
      y1 = -Infinity;
    for (const n of g.nodes) {
      const p = positions[n.id];
      if (!p) continue;
      const size = measured.current?.get(n.id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT };
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x + size.width);
      y1 = Math.max(y1, p.y + size.height);
    }
    if (!Number.isFinite(x0)) return;
    const vp = getViewportForBounds(
      { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
      el.clientWidth,
      el.clientHeight,
      0.05,
      1.2,
      0.12,
    );
    fitted.current = vp;
    void rfRef.current.setViewport(vp);
  }, [canvasRef, measured]);

  const requestFit = useCallback(() => {
    if (fitTimer.current) clearTimeout(fitTimer.current);
    fitTimer.current = setTimeout(() => fitAll(), 80);
  }, [fitAll]);

  const onMeasured = useCallback(() => {
    if (Date.now() < fitUntil.current) requestFit();
  }, [requestFit]);

  useEffect(() => {
    // a fitted graph stays fitted when the canvas changes size (the dock opens, grows, a
    // tab with a taller dock): unless the view was panned or zoomed since the fit
    const el = canvasRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => {
      const vp = rfRef.current.getViewport();
      const f = fitted.current;
      if (f && Math.abs(vp.x - f.x) < 0.5 && Math.abs(vp.y - f.y) < 0.5 && Math.abs(vp.zoom - f.zoom) < 1e-3)
        requestFit();
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [canvasRef, requestFit]);

  useEffect(() => {
    if (!focusRequest) return;
    const flow = rfRef.current;
    const node = flow.getNode(focusRequest.id);
    if (!node) return;
    const w = node.measured?.width ?? NODE_WIDTH;
    const h = node.measured?.height ?? NODE_HEIGHT;
    flow.setCenter(node.position.x + w / 2, node.position.y + h / 2, {
      zoom: Math.max(flow.getZoom(), 1),
      duration: 300,
    });
  }, [focusRequest]);

  useEffect(() => {
    // a freshly opened graph or sub-graph (not every edit): show all of it once measured
    if (!loadedAt && !path.length) return;
    const flow = rfRef.current;
    const g = drawnView(currentGraph(useEditor.getState()), null).graph;
    if (!g.nodes.length) {
      void flow.setViewport({ x: 0, y: 0, zoom: 1 }); // New: back to the start
      return;
    }
    if (g.nodes.length > LARGE_GRAPH) {
      // a big graph fitted to the screen is unreadable dots, and rendering all of it at
      // once is slow: open it readable, at its first node; the minimap shows the rest
      const first = g.layout.positions?.[g.nodes[0].id] ?? { x: 0, y: 0 };
      flow.setCenter(first.x + NODE_WIDTH / 2, first.y + 300, { zoom: 0.8 });
      return;
    }
    fitUntil.current = Date.now() + 1500;
    requestFit();
  }, [loadedAt, path, requestFit]);

  return { fitAll, onMeasured };
}
