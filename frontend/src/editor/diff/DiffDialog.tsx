/**
 * Compare: pick the two sides of a diff (the graph as drawn, a saved version, a run's
 * snapshot) and show it on the canvas. It opens on the open graph's saved version (or
 * its latest run) against the graph as drawn.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { GraphVersionInfo, RunSummary, SavedGraphInfo } from '../../api/wire';
import { Dialog } from '../../ui/Dialog';
import { useEditor } from '../store/editor';
import { showDiff, useDiff, type DiffSide } from './diffStore';

interface Sources {
  graphs: SavedGraphInfo[];
  runs: RunSummary[];
}

function runLabel(r: RunSummary): string {
  return `${r.id.slice(0, 8)} · ${r.status} · ${r.dataset.name} · ${new Date(r.created_at).toLocaleString()}`;
}

function SidePicker({
  label,
  side,
  sources,
  onChange,
}: {
  label: 'A' | 'B';
  side: DiffSide;
  sources: Sources;
  onChange(side: DiffSide): void;
}) {
  const [versions, setVersions] = useState<GraphVersionInfo[]>([]);
  const graphId = side.kind === 'saved' ? side.graphId : '';
  useEffect(() => {
    if (!graphId) return;
    api.graphVersions(graphId).then(setVersions, () => setVersions([]));
  }, [graphId]);
  const pickGraph = (id: string) => {
    const g = sources.graphs.find((x) => x.id === id);
    if (g) onChange({ kind: 'saved', graphId: g.id, version: g.latest_version, name: g.name });
  };
  const id = `diff-${label}`;
  return (
    <fieldset className="diff-pick" data-testid={`diff-side-${label}`}>
      <legend>{label === 'A' ? 'A (before)' : 'B (after)'}</legend>
      <div className="field">
        <label htmlFor={`${id}-kind`}>compare</label>
        <select
          id={`${id}-kind`}
          data-testid={`diff-${label}-kind`}
          value={side.kind}
          onChange={(e) => {
            const kind = e.target.value as DiffSide['kind'];
            if (kind === 'draft') onChange({ kind });
            else if (kind === 'saved' && sources.graphs[0]) pickGraph(sources.graphs[0].id);
            else if (kind === 'run' && sources.runs[0]) onChange({ kind, run: sources.runs[0].id });
          }}
        >
          <option value="draft">the graph as drawn</option>
          <option value="saved" disabled={!sources.graphs.length}>
            a saved version
          </option>
          <option value="run" disabled={!sources.runs.length}>
            a run&apos;s graph
          </option>
        </select>
      </div>
      {side.kind === 'saved' && (
        <>
          <div className="field">
            <label htmlFor={`${id}-graph`}>graph</label>
            <select
              id={`${id}-graph`}
              data-testid={`diff-${label}-graph`}
              value={side.graphId}
              onChange={(e) => pickGraph(e.target.value)}
            >
              {sources.graphs.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-version`}>version</label>
            <select
              id={`${id}-version`}
              data-testid={`diff-${label}-version`}
              value={side.version}
              onChange={(e) => onChange({ ...side, version: Number(e.target.value) })}
            >
              {(versions.length ? versions.map((v) => v.version) : [side.version]).map((v) => (
                <option key={v} value={v}>
                  v{v}
                </option>
              ))}
            </select>
          </div>
        </>
      )}
      {side.kind === 'run' && (
        <div className="field">
          <label htmlFor={`${id}-run`}>run</label>
          <select
            id={`${id}-run`}
            data-testid={`diff-${label}-run`}
            value={side.run}
            onChange={(e) => onChange({ kind: 'run', run: e.target.value })}
          >
            {sources.runs.map((r) => (
              <option key={r.id} value={r.id}>
                {runLabel(r)}
              </option>
            ))}
          </select>
        </div>
      )}
    </fieldset>
  );
}

/** The side A starts as: the open graph's saved version, else its latest run, else the graph as drawn. */
function firstSide(): DiffSide {
  const { saved, runs } = useEditor.getState();
  if (saved) return { kind: 'saved', graphId: saved.id, version: saved.version, name: saved.name };
  if (runs.length) return { kind: 'run', run: runs[runs.length - 1] };
  return { kind: 'draft' };
}

export function DiffDialog({ onClose }: { onClose(): void }) {
  const [sources, setSources] = useState<Sources | null>(null);
  const [a, setA] = useState<DiffSide>(firstSide);
  const [b, setB] = useState<DiffSide>({ kind: 'draft' });
  const error = useDiff((s) => s.error);
  const loading = useDiff((s) => s.loading);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([api.listGraphs(), api.runs()]).then(
      ([graphs, runs]) => setSources({ graphs, runs }),
      (e) => setLoadError((e as Error).message),
    );
  }, []);
  return (
    <Dialog title="Compare two models" onClose={onClose} testid="diff-dialog">
      {loadError && <div className="banner error">{loadError}</div>}
      {!sources ? (
        <p className="muted">Loading the saved graphs and runs…</p>
      ) : (
        <>
          <div className="diff-picks">
            <SidePicker label="A" side={a} sources={sources} onChange={setA} />
            <SidePicker label="B" side={b} sources={sources} onChange={setB} />
          </div>
          <p className="muted small">
            Two runs show their curves beside the diff. Nodes match by id, then by wiring, so renamed ids still match.
          </p>
          {error && (
            <div className="banner error" data-testid="diff-error">
              {error}
            </div>
          )}
          <div className="button-row">
            <button
              data-testid="diff-show"
              disabled={loading}
              onClick={async () => {
                if (await showDiff(a, b)) onClose();
              }}
            >
              {loading ? 'Comparing…' : 'Show the diff'}
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
