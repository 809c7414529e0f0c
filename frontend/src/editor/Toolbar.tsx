/** The top bar: file actions, edit actions, views, the live-check status. */
import { useState } from 'react';
import { api } from '../api/client';
import { formatCount } from './canvas/flow';
import { emptyGraph } from './graph/types';
import { autoLayout, confirmDiscard, graphForExport, save } from './store/commands';
import { checkedAnswer, useEditor } from './store/editor';
import type { OpenTab } from './dialogs/OpenDialog';
import { DiffDialog } from './diff/DiffDialog';

export type View = { kind: 'open'; tab: OpenTab } | { kind: 'code' } | { kind: 'summary' } | null;

async function downloadKeras() {
  const s = useEditor.getState();
  try {
    const blob = await api.exportKeras(graphForExport());
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `${(s.root.name || 'model').replace(/[^\w.-]+/g, '_')}.keras`;
    a.click();
    URL.revokeObjectURL(url);
  } catch (e) {
    s.notify(`Export failed: ${(e as Error).message}`, 'error');
  }
}

function CheckStatus() {
  const v = useEditor(checkedAnswer);
  const validating = useEditor((s) => s.validating);
  const error = useEditor((s) => s.validationError);
  if (error) return <span className="status bad">check failed</span>;
  if (!v)
    return (
      <span className="status" role="status">
        {validating ? (
          <>
            checking… <span className="spinner" />
          </>
        ) : (
          '—'
        )}
      </span>
    );
  const n = v.errors.length;
  return (
    <span className={`status ${n ? 'bad' : 'good'}`} data-testid="check-status">
      {n ? `${n} problem${n > 1 ? 's' : ''}` : `✓ ${v.model_type ?? 'valid'}`}
      {v.total_params != null && (
        <span className="muted" data-testid="total-params">
          {' '}
          · {formatCount(v.total_params)} params
        </span>
      )}
      {validating && <span className="spinner" />}
    </span>
  );
}

export function Toolbar({ onView }: { onView(v: View): void }) {
  const name = useEditor((s) => s.root.name);
  const saved = useEditor((s) => s.saved);
  const dirty = useEditor((s) => s.dirty);
  const canUndo = useEditor((s) => s.history.past.length > 0);
  const canRedo = useEditor((s) => s.history.future.length > 0);
  const [comparing, setComparing] = useState(false);
  return (
    <header className="toolbar">
      <div className="brand">
        <span className="logo">◆</span> Layerforge
      </div>
      <div
        className="title"
        title={`${name || 'Untitled model'}: ${saved ? `saved as version ${saved.version}` : 'not saved'}`}
      >
        {name || 'Untitled model'}
        {saved && <span className="muted small"> v{saved.version}</span>}
        {dirty && (
          <span className="dirty" title="unsaved changes">
            {' '}
            •
          </span>
        )}
      </div>
      <nav className="actions">
        <button onClick={() => confirmDiscard('start a new model') && useEditor.getState().load(emptyGraph())}>
          New
        </button>
        <button onClick={() => onView({ kind: 'open', tab: 'templates' })} data-testid="open-templates">
          Templates
        </button>
        <button onClick={() => onView({ kind: 'open', tab: 'saved' })}>Open</button>
        <button onClick={() => save()} title="Ctrl+S" data-testid="save">
          Save
        </button>
        <button onClick={() => onView({ kind: 'open', tab: 'import' })}>Import</button>
        <span className="sep" />
        <button onClick={() => useEditor.getState().undo()} disabled={!canUndo} title="Ctrl+Z">
          Undo
        </button>
        <button onClick={() => useEditor.getState().redo()} disabled={!canRedo} title="Ctrl+Y / Ctrl+Shift+Z">
          Redo
        </button>
        <button onClick={() => autoLayout()} title="Ctrl+L">
          Auto layout
        </button>
        <span className="sep" />
        <button onClick={() => onView({ kind: 'summary' })} title="model.summary()">
          Summary
        </button>
        <button onClick={() => onView({ kind: 'code' })} data-testid="export-python">
          Python
        </button>
        <button onClick={downloadKeras}>.keras</button>
        <span className="sep" />
        <button
          onClick={() => setComparing(true)}
          data-testid="diff-open"
          title="What changed between two versions, runs, or this graph and one of them"
        >
          Compare
        </button>
      </nav>
      <CheckStatus />
      {comparing && <DiffDialog onClose={() => setComparing(false)} />}
    </header>
  );
}

export function Breadcrumb() {
  const path = useEditor((s) => s.path);
  const rootName = useEditor((s) => s.root.name);
  if (!path.length) return null;
  return (
    <div className="breadcrumb" data-testid="breadcrumb">
      <a onClick={() => useEditor.getState().closeSubgraph(path.length)}>{rootName || 'Model'}</a>
      {path.map((p, i) => (
        <span key={p}>
          {' ▸ '}
          {i === path.length - 1 ? (
            <b>{p}</b>
          ) : (
            <a onClick={() => useEditor.getState().closeSubgraph(path.length - 1 - i)}>{p}</a>
          )}
        </span>
      ))}
      <button className="ghost small" onClick={() => useEditor.getState().closeSubgraph()}>
        ◂ Collapse
      </button>
    </div>
  );
}
