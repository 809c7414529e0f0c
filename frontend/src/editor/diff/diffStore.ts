/**
 * The diff shown over the canvas: its two sides (the graph as drawn, a saved version, or
 * a run's snapshot), the server's diff (POST /api/graphs/diff), both graphs as they are
 * drawn (laid out where they have no positions) and the after graph's check for the
 * cards' shapes. Leaving diff mode (`closeDiff`, Escape) shows the editor's canvas again.
 */
import { create } from 'zustand';
import { api } from '../../api/client';
import type { DiffRequest, GraphDiff } from '../../api/wire';
import type { Graph, ValidateAnswer } from '../graph/types';
import { useEditor } from '../store/editor';

export type DiffSide =
  { kind: 'draft' } | { kind: 'saved'; graphId: string; version: number; name: string } | { kind: 'run'; run: string };

export interface ShownDiff {
  a: DiffSide;
  b: DiffSide;
  before: Graph;
  after: Graph;
  diff: GraphDiff;
  /** The after graph's check (shapes and counts on its cards); null when it could not be checked. */
  answer: ValidateAnswer | null;
}

export interface DiffState {
  shown: ShownDiff | null;
  loading: boolean;
  error: string | null;
}

export const useDiff = create<DiffState>()(() => ({ shown: null, loading: false, error: null }));

export function sideLabel(side: DiffSide): string {
  if (side.kind === 'draft') return 'the graph as drawn';
  if (side.kind === 'saved') return `${side.name} v${side.version}`;
  return `run ${side.run.slice(0, 8)}`;
}

/** The side as the diff route takes it. */
export function sideRef(side: DiffSide, draft: Graph): DiffRequest['a'] {
  if (side.kind === 'draft') return draft;
  if (side.kind === 'saved') return { graph_id: side.graphId, version: side.version };
  return { run: side.run };
}

async function sideGraph(side: DiffSide, draft: Graph): Promise<Graph> {
  if (side.kind === 'draft') return draft;
  if (side.kind === 'saved') return (await api.getGraph(side.graphId, side.version)).graph;
  return api.runGraph(side.run);
}

/** A graph whose nodes all have a place: laid out afresh when some have none. */
async function placed(graph: Graph, answer: ValidateAnswer | null): Promise<Graph> {
  const positions = graph.layout.positions ?? {};
  if (graph.nodes.every((n) => positions[n.id])) return graph;
  const { layoutPositions } = await import('../graph/autoLayout');
  const { positions: laid, routes } = await layoutPositions(graph, answer);
  return { ...graph, layout: { ...graph.layout, positions: laid, routes } };
}

let ticket = 0;

/** Ask for the diff of `a` to `b` and show it; a failure stays in the store's `error`. */
export async function showDiff(a: DiffSide, b: DiffSide): Promise<boolean> {
  const mine = ++ticket;
  const draft = useEditor.getState().root;
  useDiff.setState({ loading: true, error: null });
  try {
    const [diff, before, after] = await Promise.all([
      api.diff(sideRef(a, draft), sideRef(b, draft)),
      sideGraph(a, draft),
      sideGraph(b, draft),
    ]);
    const answer = await api.validate(after).catch(() => null);
    const [beforePlaced, afterPlaced] = await Promise.all([placed(before, null), placed(after, answer)]);
    if (mine !== ticket) return false;
    useDiff.setState({
      shown: { a, b, before: beforePlaced, after: afterPlaced, diff, answer },
      loading: false,
    });
    return true;
  } catch (e) {
    if (mine === ticket) useDiff.setState({ loading: false, error: (e as Error).message });
    return false;
  }
}

export function closeDiff(): void {
  ticket++;
  useDiff.setState({ shown: null, loading: false, error: null });
}
