/**
 * Which tab of the editor's bottom dock is shown, and whether the dock is open: a store,
 * so a page can send the person to another (the dashboard's "show" opens a run in the
 * Training tab).
 */
import { create } from 'zustand';
import { runFromHash } from '../training/resume';

export type DockTab = 'problems' | 'training' | 'runs' | 'sweeps' | 'datasets';

export const useDock = create<{ tab: DockTab; open: boolean }>()(() => ({
  // a link to a run (`#run=<id>`, also after a refresh) opens on its charts
  tab: typeof window !== 'undefined' && runFromHash(window.location.hash) ? 'training' : 'problems',
  open: true,
}));

export function showDockTab(tab: DockTab): void {
  useDock.setState({ tab, open: true });
}

export function toggleDock(): void {
  useDock.setState((s) => ({ open: !s.open }));
}
