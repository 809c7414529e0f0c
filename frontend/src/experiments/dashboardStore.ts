/**
 * What the run overlay shows: the runs ticked, the metric, smoothing and the axes' scales.
 * The runs' events come from the training store (watchRun), which loads and streams
 * them once for every page that shows them.
 */
import { create } from 'zustand';
import { watchRun } from '../training/store';

export interface DashboardState {
  selected: string[];
  /** The metric drawn; null: the first the runs have (loss). */
  metric: string | null;
  /** The EMA weight, 0 (raw) to 0.99. */
  smoothing: number;
  logX: boolean;
  logY: boolean;
}

export const useDashboard = create<DashboardState>()(() => ({
  selected: [],
  metric: null,
  smoothing: 0,
  logX: false,
  logY: false,
}));

export function setDashboard(patch: Partial<Omit<DashboardState, 'selected'>>): void {
  useDashboard.setState(patch);
}

/** Tick or untick runs; ticked runs have their events loaded (and followed while live). */
export function selectRuns(ids: string[], on: boolean): void {
  useDashboard.setState((s) => {
    const set = new Set(s.selected);
    for (const id of ids) {
      if (on) set.add(id);
      else set.delete(id);
    }
    return { selected: [...set] };
  });
  if (on) for (const id of ids) watchRun(id);
}
