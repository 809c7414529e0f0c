/**
 * The editor's layout: palette | canvas | inspector, with a bottom dock holding the
 * problems list and the (lazily loaded) training dashboard.
 */
import { ReactFlowProvider } from '@xyflow/react';
import { lazy, Suspense, useEffect, useState } from 'react';
import { api } from './api/client';
import { Canvas } from './editor/canvas/Canvas';
import { Inspector } from './editor/inspector/Inspector';
import { OpenDialog } from './editor/dialogs/OpenDialog';
import { Palette } from './editor/palette/Palette';
import { ProblemsPanel } from './editor/ProblemsPanel';
import { handleShortcut } from './editor/shortcuts';
import { SummaryDialog } from './editor/dialogs/SummaryDialog';
import { SaveDialog } from './editor/dialogs/SaveDialog';
import { Toast } from './ui/Toast';
import { Breadcrumb, Toolbar, type View } from './editor/Toolbar';
import { checkedAnswer, useEditor } from './editor/store/editor';
import { keepDrafts, restoreDraft } from './editor/store/draft';
import { startValidation } from './editor/store/validation';
import { showDockTab, toggleDock, useDock, type DockTab } from './ui/dock';

const TrainingPanel = lazy(() => import('./training/TrainingPanel'));
const Dashboard = lazy(() => import('./experiments/Dashboard'));
const SweepsPage = lazy(() => import('./experiments/SweepsPage'));
const DatasetsPage = lazy(() => import('./datasets/DatasetsPage'));
const CodeDialog = lazy(() => import('./editor/dialogs/CodeDialog'));

const DOCK_MIN = 120;

/** A tab's first height: the problems list is short; the training charts need room. */
function defaultDockHeight(tab: DockTab): number {
  return tab !== 'problems' ? Math.max(360, Math.round(window.innerHeight * 0.5)) : 260;
}

/**
 * The dock's height for the tab shown, changed by dragging its top edge or with the arrow
 * keys there; kept per tab.
 */
function useDockHeight(tab: DockTab): [number, React.ReactNode] {
  const key = `layerforge.dockHeight.${tab}`;
  const [heights, setHeights] = useState<Partial<Record<DockTab, number>>>({});
  const height = heights[tab] ?? (Number(localStorage.getItem(key)) || defaultDockHeight(tab));
  const set = (h: number) => {
    const clamped = Math.round(Math.min(Math.max(h, DOCK_MIN), window.innerHeight - 160));
    setHeights((all) => ({ ...all, [tab]: clamped }));
    localStorage.setItem(key, String(clamped));
  };
  const resizer = (
    <div
      className="dock-resize"
      role="separator"
      aria-orientation="horizontal"
      aria-label="Resize the dock (arrow keys)"
      aria-valuenow={height}
      aria-valuemin={DOCK_MIN}
      tabIndex={0}
      data-testid="dock-resize"
      onPointerDown={(e) => {
        const startY = e.clientY;
        const start = height;
        const move = (ev: PointerEvent) => set(start + startY - ev.clientY);
        const up = () => {
          window.removeEventListener('pointermove', move);
          window.removeEventListener('pointerup', up);
        };
        window.addEventListener('pointermove', move);
        window.addEventListener('pointerup', up);
      }}
      onKeyDown={(e) => {
        if (e.key === 'ArrowUp') set(height + 30);
        else if (e.key === 'ArrowDown') set(height - 30);
        else return;
        e.preventDefault();
      }}
    />
  );
  return [height, resizer];
}

/** The dock's pages after Problems and Training. */
const PAGES: [DockTab, string][] = [
  ['runs', 'Compare runs'],
  ['sweeps', 'Sweeps'],
  ['datasets', 'Image sets'],
];

function Dock() {
  const { tab, open } = useDock();
  const errors = useEditor((s) => checkedAnswer(s)?.errors.length ?? 0);
  const [height, resizer] = useDockHeight(tab);
  return (
    <section
      className={`dock ${open ? 'open' : 'closed'}`}
      data-testid="dock"
      style={open ? { height } : undefined}
      aria-label="Problems and training"
    >
      {open && resizer}
      <nav className="tabs">
        <button className={tab === 'problems' ? 'active' : ''} onClick={() => showDockTab('problems')}>
          Problems {errors > 0 && <span className="count bad">{errors}</span>}
        </button>
        <button
          className={tab === 'training' ? 'active' : ''}
          onClick={() => showDockTab('training')}
          data-testid="tab-training"
        >
          Training
        </button>
        {PAGES.map(([key, label]) => (
          <button
            key={key}
            className={tab === key ? 'active' : ''}
            onClick={() => showDockTab(key)}
            data-testid={`tab-${key}`}
          >
            {label}
          </button>
        ))}
        <span className="grow" />
        <button className="ghost" onClick={toggleDock} title={open ? 'Hide' : 'Show'}>
          {open ? '▾' : '▴'}
        </button>
      </nav>
      {open && (
        <div className="dock-body">
          {tab === 'problems' ? (
            <ProblemsPanel />
          ) : (
            <Suspense fallback={<p className="muted pad">Loading…</p>}>
              {tab === 'training' ? (
                <TrainingPanel />
              ) : tab === 'runs' ? (
                <Dashboard />
              ) : tab === 'sweeps' ? (
                <SweepsPage />
              ) : (
                <DatasetsPage />
              )}
            </Suspense>
          )}
        </div>
      )}
    </section>
  );
}

export default function App() {
  const [view, setView] = useState<View>(null);

  useEffect(() => {
    api.catalogue().then(
      (catalogue) => useEditor.getState().setCatalogue(catalogue),
      (e) => useEditor.getState().setCatalogueError((e as Error).message),
    );
    // the graph of the last visit (a reload, a crash, a closed tab) comes back first
    restoreDraft();
    const stopDrafts = keepDrafts();
    const validator = startValidation();
    const onKey = (e: KeyboardEvent) => {
      if (handleShortcut(e)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      stopDrafts();
      validator.stop();
      window.removeEventListener('keydown', onKey);
    };
  }, []);

  return (
    <ReactFlowProvider>
      <div className="app">
        <Toolbar onView={setView} />
        <main className="workspace">
          <Palette />
          <div className="centre">
            <Breadcrumb />
            <Canvas />
            <Dock />
          </div>
          <Inspector />
        </main>
        {view?.kind === 'open' && <OpenDialog tab={view.tab} onClose={() => setView(null)} />}
        {view?.kind === 'summary' && <SummaryDialog onClose={() => setView(null)} />}
        {view?.kind === 'code' && (
          <Suspense fallback={null}>
            <CodeDialog onClose={() => setView(null)} />
          </Suspense>
        )}
        <SaveDialog />
        <Toast />
      </div>
    </ReactFlowProvider>
  );
}
