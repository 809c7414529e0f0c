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
import { Toast } from './ui/Toast';
import { Breadcrumb, Toolbar, type View } from './editor/Toolbar';
import { checkedAnswer, useEditor } from './editor/store/editor';
import { keepDrafts, restoreDraft } from './editor/store/draft';
import { startValidation } from './editor/store/validation';
import { runFromHash } from './training/resume';

const TrainingPanel = lazy(() => import('./training/TrainingPanel'));
const CodeDialog = lazy(() => import('./editor/dialogs/CodeDialog'));

type DockTab = 'problems' | 'training';

function Dock() {
  // A link to a run (`#run=<id>`, also after a refresh) opens on its charts.
  const [tab, setTab] = useState<DockTab>(() => (runFromHash(window.location.hash) ? 'training' : 'problems'));
  const [open, setOpen] = useState(true);
  const errors = useEditor((s) => checkedAnswer(s)?.errors.length ?? 0);
  return (
    <section className={`dock ${open ? 'open' : 'closed'}`} data-testid="dock">
      <nav className="tabs">
        <button className={tab === 'problems' ? 'active' : ''} onClick={() => (setTab('problems'), setOpen(true))}>
          Problems {errors > 0 && <span className="count bad">{errors}</span>}
        </button>
        <button
          className={tab === 'training' ? 'active' : ''}
          onClick={() => (setTab('training'), setOpen(true))}
          data-testid="tab-training"
        >
          Training
        </button>
        <span className="grow" />
        <button className="ghost" onClick={() => setOpen((o) => !o)} title={open ? 'Hide' : 'Show'}>
          {open ? '▾' : '▴'}
        </button>
      </nav>
      {open && (
        <div className="dock-body">
          {tab === 'problems' ? (
            <ProblemsPanel />
          ) : (
            <Suspense fallback={<p className="muted pad">Loading the training dashboard…</p>}>
              <TrainingPanel />
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
        <Toast />
      </div>
    </ReactFlowProvider>
  );
}
