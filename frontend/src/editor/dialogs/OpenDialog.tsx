/** Open: templates (examples/), saved graphs with their versions, import Keras JSON / .keras. */
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { ExampleInfo, GraphVersionInfo, SavedGraphInfo } from '../../api/wire';
import type { Graph } from '../graph/types';
import { kerasConfigText } from '../../api/kerasFile';
import { blocksOf, COLLAPSE_ABOVE } from '../graph/blocks';
import { autoLayout, confirmDiscard } from '../store/commands';
import { useEditor, type SavedRef } from '../store/editor';
import { Dialog } from '../../ui/Dialog';

export type OpenTab = 'templates' | 'saved' | 'import';

/**
 * Put `graph` in the editor once the user agreed to drop unsaved work; returns false
 * when they did not. A graph without a full layout (an import: the server's is a plain
 * column) is laid out here.
 */
function openGraph(
  graph: Graph,
  action: string,
  opts: { saved?: SavedRef | null; dirty?: boolean; relayout?: boolean } = {},
): boolean {
  if (!confirmDiscard(action)) return false;
  // a big import opens as its blocks (block_3, conv4_block2, ...), each one node
  if (opts.relayout && graph.nodes.length > COLLAPSE_ABOVE && !graph.layout.collapsed) {
    graph = { ...graph, layout: { ...graph.layout, collapsed: blocksOf(graph).map((b) => b.name) } };
  }
  useEditor.getState().load(graph, opts.saved ?? null, { dirty: opts.dirty });
  const g = useEditor.getState().root;
  if (opts.relayout || !g.layout?.positions || Object.keys(g.layout.positions).length < g.nodes.length) {
    void autoLayout({ record: false });
  }
  return true;
}

function Templates({ onDone }: { onDone(): void }) {
  const [list, setList] = useState<ExampleInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.examples().then(setList, (e) => setError((e as Error).message));
  }, []);
  if (error) return <div className="banner error">{error}</div>;
  if (!list) return <p className="muted">Loading…</p>;
  return (
    <ul className="card-list" data-testid="template-list">
      {list.map((ex) => (
        <li key={ex.name}>
          <button
            className="card"
            data-testid={`template-${ex.name}`}
            onClick={async () => {
              try {
                if (!openGraph(await api.example(ex.name), `open the template “${ex.title}”`)) return;
                useEditor.getState().notify(`Opened template “${ex.title}”`);
                onDone();
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            <b>{ex.title}</b>
            <span className="muted small">
              {ex.name} · {ex.nodes} nodes
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function Saved({ onDone }: { onDone(): void }) {
  const [list, setList] = useState<SavedGraphInfo[] | null>(null);
  const [versions, setVersions] = useState<{ id: string; items: GraphVersionInfo[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = () => api.listGraphs().then(setList, (e) => setError((e as Error).message));
  useEffect(() => {
    void refresh();
  }, []);
  const open = async (info: SavedGraphInfo, version?: number) => {
    try {
      const saved = await api.getGraph(info.id, version);
      const v = saved.version;
      const graph = { ...saved.graph, name: saved.graph.name ?? saved.name };
      // an older version opened is gone on from: its next save follows the latest
      const ref = { id: saved.id, name: saved.name, version: v, base: saved.latest_version };
      if (!openGraph(graph, `open “${saved.name}”`, { saved: ref })) return;
      useEditor.getState().notify(`Opened “${saved.name}” version ${v}`);
      onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (error) return <div className="banner error">{error}</div>;
  if (!list) return <p className="muted">Loading…</p>;
  if (!list.length) return <p className="muted">No saved graphs yet. Ctrl+S saves the one you are drawing.</p>;
  return (
    <table className="summary" data-testid="saved-list">
      <thead>
        <tr>
          <th>Name</th>
          <th>Versions</th>
          <th>Updated</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {list.map((g) => (
          <tr key={g.id}>
            <td>
              <a onClick={() => open(g)}>{g.name}</a>
              {versions?.id === g.id && (
                <div className="versions">
                  {versions.items.map((v) => (
                    <button key={v.version} className="chip" onClick={() => open(g, v.version)} title={v.created_at}>
                      v{v.version}
                    </button>
                  ))}
                </div>
              )}
            </td>
            <td>
              <a onClick={async () => setVersions({ id: g.id, items: await api.graphVersions(g.id).catch(() => []) })}>
                {g.latest_version}
              </a>
            </td>
            <td className="muted small">{g.updated_at ? new Date(g.updated_at).toLocaleString() : ''}</td>
            <td>
              <button
                className="ghost danger"
                onClick={async () => {
                  if (!confirm(`Delete “${g.name}” and all its versions?`)) return;
                  await api.deleteGraph(g.id).catch((e) => setError((e as Error).message));
                  void refresh();
                }}
              >
                Delete
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Import({ onDone }: { onDone(): void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<Graph>) => {
    setBusy(true);
    setError(null);
    try {
      // an import is stored nowhere yet: it counts as unsaved work
      if (!openGraph(await fn(), 'import this model', { dirty: true, relayout: true })) return;
      useEditor.getState().notify('Imported (not saved yet)');
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="import">
      <div className="field">
        <label htmlFor="import-file">A .keras file (or a Keras JSON file)</label>
        <input
          id="import-file"
          type="file"
          accept=".keras,.json"
          data-testid="import-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            // of a .keras file only its config.json is read and sent, never the weights
            const text = f.name.endsWith('.json') ? f.text() : kerasConfigText(f);
            void run(async () => api.importJson(await text));
          }}
        />
      </div>
      <div className="field">
        <label htmlFor="import-json">…or paste model.to_json()</label>
        <textarea
          id="import-json"
          rows={10}
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
        />
      </div>
      <button disabled={!text.trim() || busy} onClick={() => run(() => api.importJson(text))}>
        {busy ? 'Importing…' : 'Import JSON'}
      </button>
      {error && <div className="banner error">{error}</div>}
    </div>
  );
}

export function OpenDialog({ tab: initial, onClose }: { tab: OpenTab; onClose(): void }) {
  const [tab, setTab] = useState<OpenTab>(initial);
  return (
    <Dialog title="Open" onClose={onClose} wide testid="open-dialog">
      <nav className="tabs">
        {(['templates', 'saved', 'import'] as OpenTab[]).map((t) => (
          <button key={t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {t === 'templates' ? 'Templates' : t === 'saved' ? 'Saved graphs' : 'Import Keras'}
          </button>
        ))}
      </nav>
      {tab === 'templates' && <Templates onDone={onClose} />}
      {tab === 'saved' && <Saved onDone={onClose} />}
      {tab === 'import' && <Import onDone={onClose} />}
    </Dialog>
  );
}
