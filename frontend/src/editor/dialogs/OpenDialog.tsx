/**
 * Open: templates (examples/), saved graphs with their versions, import Keras JSON /
 * .keras (its architecture, or with its weights), pretrained keras.applications backbones.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { ExampleInfo, GraphVersionInfo, SavedGraphInfo } from '../../api/wire';
import type { Graph } from '../graph/types';
import { kerasConfigText } from '../../api/kerasFile';
import { useEditor } from '../store/editor';
import { openGraph, openImported } from './openGraph';
import { Dialog } from '../../ui/Dialog';
import { withWeights } from '../graph/weights';
import { Backbones } from './Backbones';

export type OpenTab = 'templates' | 'saved' | 'import' | 'backbones';

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
  const [keepWeights, setKeepWeights] = useState(false);
  /** The share of the file sent, while a file with its weights uploads. */
  const [sent, setSent] = useState<number | null>(null);
  const run = async (fn: () => Promise<[Graph, string]>) => {
    setBusy(true);
    setError(null);
    try {
      const [graph, what] = await fn();
      if (openImported(graph, what)) onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      setSent(null);
    }
  };
  const importFile = (f: File) => {
    if (keepWeights && f.name.endsWith('.keras')) {
      setSent(0);
      return run(async () => {
        const { graph, weights } = await api.importWithWeights(f, setSent);
        const what = weights ? `with the weights of ${weights.layers.length} layers` : 'without weights';
        return [withWeights(graph, weights), what];
      });
    }
    // of a .keras file only its config.json is read and sent, never the weights
    const config = f.name.endsWith('.json') ? f.text() : kerasConfigText(f);
    return run(async () => [await api.importJson(await config), 'the architecture']);
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
            if (f) void importFile(f);
          }}
        />
      </div>
      <div className="field inline">
        <input
          id="import-keep-weights"
          type="checkbox"
          checked={keepWeights}
          onChange={(e) => setKeepWeights(e.target.checked)}
          data-testid="import-keep-weights"
        />
        <label htmlFor="import-keep-weights">
          Import with weights: the whole .keras file is sent and its weights stored beside the graph, so a run can start
          from them (otherwise only the architecture is read)
        </label>
      </div>
      {sent !== null && (
        <div className="upload-progress" data-testid="import-progress">
          <progress value={sent} max={1} aria-label="Upload" />
          <span className="small muted">
            {sent < 1 ? `sending ${Math.round(sent * 100)} %` : 'sent; reading the weights…'}
          </span>
        </div>
      )}
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
      <button
        disabled={!text.trim() || busy}
        onClick={() => run(async () => [await api.importJson(text), 'the architecture'])}
      >
        {busy ? 'Importing…' : 'Import JSON'}
      </button>
      {error && <div className="banner error">{error}</div>}
    </div>
  );
}

const TAB_TITLES: Record<OpenTab, string> = {
  templates: 'Templates',
  saved: 'Saved graphs',
  import: 'Import Keras',
  backbones: 'Pretrained backbones',
};

export function OpenDialog({ tab: initial, onClose }: { tab: OpenTab; onClose(): void }) {
  const [tab, setTab] = useState<OpenTab>(initial);
  return (
    <Dialog title="Open" onClose={onClose} wide testid="open-dialog">
      <nav className="tabs">
        {(Object.keys(TAB_TITLES) as OpenTab[]).map((t) => (
          <button key={t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)} data-testid={`open-tab-${t}`}>
            {TAB_TITLES[t]}
          </button>
        ))}
      </nav>
      {tab === 'templates' && <Templates onDone={onClose} />}
      {tab === 'saved' && <Saved onDone={onClose} />}
      {tab === 'import' && <Import onDone={onClose} />}
      {tab === 'backbones' && <Backbones onDone={onClose} />}
    </Dialog>
  );
}
