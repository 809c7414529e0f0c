/**
 * The right column: every run with its status (kept live by the all-runs feed), its
 * last loss / metric, and actions: show its charts, overlay it on the shown run, open
 * the graph it trained in the editor (as a copy), cancel while it is live.
 */
import { StatusChip } from './RunView';
import { cancelRun, compareRun, openRunGraph, refreshRuns, useTraining, viewRun } from './store';
import { isTerminal, type RunInfo } from './types';
import { deviceLabel, deviceState, devicesOfRuns, workersSummary } from './workers';

function when(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
}

/** The run's last loss and, if any, its first non-loss metric: a one-line summary. */
function headline(run: RunInfo): string {
  const m = run.metrics ?? {};
  const pick = (k: string) => (typeof m[k] === 'number' ? `${k} ${(m[k] as number).toPrecision(3)}` : null);
  const other = Object.keys(m).find((k) => !k.includes('loss') && !k.startsWith('val_') && k !== 'learning_rate');
  return [pick('val_loss') ?? pick('loss'), other ? (pick(`val_${other}`) ?? pick(other)) : null]
    .filter(Boolean)
    .join(' · ');
}

export function RunHistory() {
  const runs = useTraining((s) => s.runs);
  const viewId = useTraining((s) => s.viewRunId);
  const compareId = useTraining((s) => s.compareRunId);
  const runsError = useTraining((s) => s.runsError);
  const feed = useTraining((s) => s.feed);
  const workers = useTraining((s) => s.workers);
  const onDevice = devicesOfRuns(workers);
  return (
    <section className="tr-history" data-testid="run-history">
      <header className="tr-history-head">
        <b>Runs</b>
        <span className={`tr-note ${feed === 'live' ? 'good' : 'warn'}`} title="Status updates of all runs">
          {feed === 'live' ? '● live' : feed === 'reconnecting' ? 'reconnecting…' : 'connecting…'}
        </span>
        <span className="grow" />
        <button className="small ghost" onClick={() => void refreshRuns()} title="Reload the list">
          ↻
        </button>
      </header>
      <details className="tr-workers small" data-testid="workers">
        <summary>{workersSummary(workers)}</summary>
        <ul>
          {workers.map((w) => (
            <li key={w.id} data-testid="worker">
              <b>{w.host}</b>
              {w.devices.map((d) => (
                <div key={d.id} className="muted">
                  {deviceLabel(d)}: {deviceState(w, d)}
                </div>
              ))}
            </li>
          ))}
        </ul>
      </details>
      {runsError && <p className="tr-bad small">{runsError}</p>}
      {!runs.length && !runsError && <p className="muted small pad">No runs yet.</p>}
      <ul>
        {runs.map((r) => (
          <li
            key={r.id}
            className={`tr-run ${r.id === viewId ? 'shown' : ''} ${r.id === compareId ? 'compared' : ''}`}
            data-testid="run-row"
            data-run-id={r.id}
            data-status={r.status}
          >
            <div className="tr-run-line" onClick={() => viewRun(r.id)} title="Show this run's charts">
              <StatusChip status={r.status} />
              <span className="mono">{r.id.slice(0, 8)}</span>
              <span className="muted small">{r.dataset?.name}</span>
              {onDevice.has(r.id) && (
                <span className="muted small" data-testid="run-device" title="Where it trains">
                  on {onDevice.get(r.id)}
                </span>
              )}
              <span className="grow" />
              <span className="muted small">{when(r.created_at)}</span>
            </div>
            <div className="tr-run-line small">
              <span className="muted tr-headline">{headline(r) || (r.graph?.name ?? '')}</span>
              <span className="grow" />
              {r.id !== viewId && viewId && (
                <button
                  className="small ghost"
                  onClick={() => compareRun(r.id === compareId ? null : r.id)}
                  data-testid="compare-run"
                >
                  {r.id === compareId ? 'Un-overlay' : 'Overlay'}
                </button>
              )}
              <button
                className="small ghost"
                onClick={() => void openRunGraph(r.id)}
                title="Open the graph this run trained in the editor, as a copy"
              >
                Open graph
              </button>
              {!isTerminal(r.status) && (
                <button className="small ghost danger" onClick={() => void cancelRun(r.id)}>
                  Cancel
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
