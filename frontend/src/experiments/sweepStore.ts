/**
 * Sweeps: the list (which also groups the dashboard's runs), the sweep shown, kept live
 * by its stream (`WS /api/sweeps/{id}/stream`, opened with a ticket like the run
 * streams: the whole sweep each time it changes, closed when it ends), and the search
 * dimensions of the next sweep, which other code adds to with `addSweepDimension`.
 */
import { create } from 'zustand';
import { useEditor } from '../editor/store/editor';
import { RetryingSocket } from '../training/reconnect';
import { ticketedSocketUrl } from '../training/api';
import { refreshRuns } from '../training/store';
import { experimentsApi, sweepStreamPath, type Dimension, type Sweep } from './api';

export interface SweepState {
  sweeps: Sweep[];
  sweepsError: string | null;
  shownId: string | null;
  /** The search space of the next sweep: JSON Pointer into the run request -> range or choices. */
  dimensions: Record<string, Dimension>;
  live: boolean;
}

export const useSweeps = create<SweepState>()(() => ({
  sweeps: [],
  sweepsError: null,
  shownId: null,
  dimensions: {},
  live: false,
}));

/**
 * Mark a search dimension for the next sweep (the inspector's "search this parameter",
 * or the sweep form): `pointer` is a JSON Pointer into the run request
 * (`/graph/nodes/<id>/params/units`, `/settings/optimizer/learning_rate`), `spec` a range
 * `{low, high, log}`, an integer range `{low, high, step}` or `{choices}`. The same
 * pointer again replaces its spec.
 */
export function addSweepDimension(pointer: string, spec: Dimension): void {
  useSweeps.setState((s) => ({ dimensions: { ...s.dimensions, [pointer]: spec } }));
}

export function removeSweepDimension(pointer: string): void {
  useSweeps.setState((s) => {
    const { [pointer]: _, ...rest } = s.dimensions;
    return { dimensions: rest };
  });
}

export function sweepOf(id: string | null): Sweep | undefined {
  return id ? useSweeps.getState().sweeps.find((s) => s.id === id) : undefined;
}

function upsert(sweep: Sweep): void {
  useSweeps.setState((s) => {
    const i = s.sweeps.findIndex((x) => x.id === sweep.id);
    if (i < 0) return { sweeps: [sweep, ...s.sweeps] };
    const sweeps = s.sweeps.slice();
    // the stream's sweep has no importance (GET computes it): keep the last known
    sweeps[i] = { ...sweep, importance: sweep.importance ?? sweeps[i].importance };
    return { sweeps };
  });
}

export async function refreshSweeps(): Promise<void> {
  try {
    const sweeps = await experimentsApi.sweeps();
    useSweeps.setState((s) => ({
      sweeps: sweeps.map((n) => ({
        ...n,
        importance: n.importance ?? s.sweeps.find((o) => o.id === n.id)?.importance,
      })),
      sweepsError: null,
    }));
  } catch (e) {
    useSweeps.setState({ sweepsError: (e as Error).message });
  }
}

/** GET the sweep (with Optuna's importance, which the stream does not compute). */
async function reload(id: string): Promise<void> {
  try {
    upsert(await experimentsApi.sweep(id));
  } catch {
    /* the stream or the next change tries again */
  }
}

let socket: RetryingSocket | null = null;

/** Show a sweep and follow it until it ends. */
export function showSweep(id: string | null): void {
  socket?.stop();
  socket = null;
  useSweeps.setState({ shownId: id, live: false });
  if (!id) return;
  void reload(id);
  let lastDone = -1;
  const sock = new RetryingSocket({
    url: () => ticketedSocketUrl(sweepStreamPath(id)),
    isFinal: (code) => code === 1000 || code === 4403 || code === 4404 || code === 1008,
    onState: (st) => useSweeps.setState({ live: st.kind === 'open' }),
    onMessage: (text) => {
      let sweep: Sweep;
      try {
        sweep = JSON.parse(text) as Sweep;
      } catch {
        return;
      }
      if (!sweep || sweep.id !== id) return; // pings
      upsert(sweep);
      const done = sweep.trials.filter((t) => t.state !== 'running' && t.state !== 'waiting').length;
      // a trial ended (importance may change) or a new run started (the run list grows)
      if (done !== lastDone || sweep.status !== 'running') {
        lastDone = done;
        void reload(id);
      }
      void refreshRuns();
    },
  });
  socket = sock;
  sock.start();
}

export async function cancelSweep(id: string): Promise<void> {
  try {
    upsert(await experimentsApi.cancelSweep(id));
  } catch (e) {
    useEditor.getState().notify(`Cancel failed: ${(e as Error).message}`, 'error');
  }
}
