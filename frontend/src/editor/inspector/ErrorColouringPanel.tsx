/**
 * Colour the graph by a quantized export's layer errors: a run (this graph's first),
 * then one of its serving exports' reports (`exports/<file>.json`); or back to no
 * colouring (the run's statistics, when the training page colours by them).
 */
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { RunSummary } from '../../api/wire';
import { formatRelative, showLayerErrors } from '../quantError';
import { useEditor } from '../store/editor';

/** The stored reports among a run's artifacts: `exports/<file>.json`. */
export function exportReports(names: string[]): string[] {
  return names.filter((n) => n.startsWith('exports/') && n.endsWith('.json')).sort();
}

export function ErrorColouringPanel() {
  const colouring = useEditor((s) => s.errorOverlay);
  const ownRuns = useEditor((s) => s.runs);
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [run, setRun] = useState('');
  const [reports, setReports] = useState<string[] | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    api.runs().then(
      (all) => {
        const done = all.filter((r) => r.status === 'succeeded');
        // this graph's runs first
        setRuns([...done.filter((r) => ownRuns.includes(r.id)), ...done.filter((r) => !ownRuns.includes(r.id))]);
      },
      (e) => setNote((e as Error).message),
    );
  }, [ownRuns]);
  useEffect(() => {
    setReports(null);
    if (!run) return;
    api.artifacts(run).then(
      (list) => setReports(exportReports(list.map((a) => a.name))),
      (e) => setNote((e as Error).message),
    );
  }, [run]);
  const show = async (name: string) => {
    setNote(null);
    if (!name) return void showLayerErrors(null);
    try {
      const report = await api.exportReport(run, name);
      if (!showLayerErrors(report))
        setNote(
          report.layer_errors
            ? 'None of its layers are in this graph.'
            : 'This export has no layer errors (not quantized, or LiteRT int8, whose kernels no Keras layer matches).',
        );
    } catch (e) {
      setNote((e as Error).message);
    }
  };
  return (
    <fieldset className="error-colouring" data-testid="error-colouring">
      <legend>Quantized export: error per layer</legend>
      <div className="field">
        <label htmlFor="error-run">run</label>
        <select id="error-run" value={run} onChange={(e) => setRun(e.target.value)} data-testid="error-run">
          <option value="">— a finished run —</option>
          {(runs ?? []).map((r) => (
            <option key={r.id} value={r.id}>
              {r.id.slice(0, 8)}
              {ownRuns.includes(r.id) ? ' (this graph)' : ''} · {r.dataset.name}
            </option>
          ))}
        </select>
      </div>
      {run && reports && (
        <div className="field">
          <label htmlFor="error-report">export</label>
          <select id="error-report" onChange={(e) => void show(e.target.value)} data-testid="error-report">
            <option value="">— off —</option>
            {reports.map((n) => (
              <option key={n} value={n}>
                {n.slice('exports/'.length, -'.json'.length)}
              </option>
            ))}
          </select>
        </div>
      )}
      {run && reports?.length === 0 && (
        <p className="muted small">
          No serving exports yet: export this run from its page (quantized: int8 or float16).
        </p>
      )}
      {colouring && (
        <div className="stat-legend small" data-testid="error-legend">
          <span className="mono">{formatRelative(colouring.low)}</span>
          <span className="stat-legend-bar" />
          <span className="mono">{formatRelative(colouring.high)}</span>
          <span className="muted"> of the float output (log scale)</span>
          <button className="ghost small" onClick={() => showLayerErrors(null)} data-testid="error-off">
            Off
          </button>
        </div>
      )}
      {note && (
        <p className="muted small" data-testid="error-note">
          {note}
        </p>
      )}
    </fieldset>
  );
}
