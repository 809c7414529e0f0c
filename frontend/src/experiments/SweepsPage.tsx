/**
 * The sweeps page (a dock tab): the sweeps on the left; the one shown, live, as a table
 * of trials, a parallel-coordinates plot and Optuna's parameter importance, with cancel
 * and "open the best trial as a graph"; or the form that starts a new one.
 */
import { useEffect, useState } from 'react';
import { StatusChip } from '../training/RunView';
import { initTraining, openRunGraph, viewRun } from '../training/store';
import { showDockTab } from '../ui/dock';
import type { Sweep } from './api';
import { formatValue } from './overlay';
import { dimensionLabel, formatNumber } from './parallel';
import { ParallelCoords } from './ParallelCoords';
import { SweepForm } from './SweepForm';
import { cancelSweep, refreshSweeps, showSweep, useSweeps } from './sweepStore';
import './experiments.css';

function done(s: Sweep): number {
  return s.trials.filter((t) => t.state !== 'running' && t.state !== 'waiting').length;
}

function paramText(v: unknown): string {
  return typeof v === 'number' ? formatNumber(v) : JSON.stringify(v);
}

function Importance({ sweep }: { sweep: Sweep }) {
  const entries = Object.entries(sweep.importance ?? {}).sort((a, b) => b[1] - a[1]);
  if (!entries.length) return <p className="muted small">Parameter importance comes once two trials have completed.</p>;
  return (
    <div className="xp-bars" data-testid="sweep-importance">
      {entries.map(([p, v]) => (
        <div key={p} style={{ display: 'contents' }}>
          <span className="mono" title={p}>
            {dimensionLabel(p)}
          </span>
          <div className="xp-bar" style={{ width: `${Math.max(2, v * 100)}%` }} />
          <span className="mono">{(v * 100).toFixed(0)} %</span>
        </div>
      ))}
    </div>
  );
}

function SweepView({ sweep }: { sweep: Sweep }) {
  const live = useSweeps((s) => s.live);
  const pointers = Object.keys(sweep.space);
  const best = sweep.best;
  return (
    <div data-testid="sweep-view" data-sweep={sweep.id} data-status={sweep.status} data-done={done(sweep)}>
      <header className="tr-run-head">
        <b className="mono">sweep {sweep.id.slice(0, 8)}</b>
        <StatusChip status={sweep.status} />
        <span className="small">
          {done(sweep)} of {sweep.trials_total} trials done, {sweep.parallel} at a time · {sweep.objective.direction}{' '}
          <b>{sweep.objective.metric}</b>
        </span>
        {live && <span className="tr-note good">● live</span>}
        <span className="grow" />
        {best?.run_id && (
          <button
            className="small"
            onClick={() => void openRunGraph(best.run_id!)}
            data-testid="sweep-open-best"
            title="Open the graph the best trial trained in the editor, as a copy"
          >
            Open best trial as a graph
          </button>
        )}
        {sweep.status === 'running' && (
          <button className="small danger" onClick={() => void cancelSweep(sweep.id)} data-testid="sweep-cancel">
            ■ Cancel
          </button>
        )}
      </header>
      <div className="xp-cols">
        <div style={{ flex: '2 1 480px', minWidth: 0 }}>
          <div className="xp-section">Trials</div>
          <ParallelCoords sweep={sweep} />
        </div>
        <div style={{ flex: '1 1 240px' }}>
          <div className="xp-section">Parameter importance</div>
          <Importance sweep={sweep} />
          {best && (
            <p className="small" data-testid="sweep-best">
              Best: trial {best.number}, {sweep.objective.metric}{' '}
              <b className="mono">{formatValue(best.value ?? null)}</b>
            </p>
          )}
        </div>
      </div>
      <table className="xp-table small" data-testid="sweep-trials">
        <thead>
          <tr>
            <th>#</th>
            <th>state</th>
            {pointers.map((p) => (
              <th key={p} className="mono" title={p}>
                {dimensionLabel(p)}
              </th>
            ))}
            <th>{sweep.objective.metric}</th>
            <th>run</th>
          </tr>
        </thead>
        <tbody>
          {sweep.trials.map((t) => (
            <tr
              key={t.number}
              className={best?.number === t.number ? 'best' : ''}
              data-testid="sweep-trial"
              data-trial={t.number}
              data-state={t.state}
            >
              <td>{t.number}</td>
              <td title={t.error ?? undefined}>{t.state}</td>
              {pointers.map((p) => (
                <td key={p} className="mono">
                  {p in t.params ? paramText(t.params[p]) : '–'}
                </td>
              ))}
              <td className="mono" data-testid="trial-value">
                {formatValue(t.value ?? null)}
              </td>
              <td>
                {t.run_id && (
                  <button
                    className="small ghost mono"
                    onClick={() => (viewRun(t.run_id!), showDockTab('training'))}
                    title="This trial's run in the Training tab"
                  >
                    {t.run_id.slice(0, 8)}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function SweepsPage() {
  const sweeps = useSweeps((s) => s.sweeps);
  const error = useSweeps((s) => s.sweepsError);
  const shownId = useSweeps((s) => s.shownId);
  const [creating, setCreating] = useState(false);
  useEffect(() => {
    initTraining();
    void refreshSweeps();
  }, []);
  const shown = sweeps.find((s) => s.id === shownId);
  return (
    <div className="xp-sweeps" data-testid="sweeps-page">
      <aside className="xp-list" aria-label="Sweeps">
        <header className="xp-head">
          <b>Sweeps</b>
          <span className="grow" />
          <button className="small" onClick={() => (setCreating(true), showSweep(null))} data-testid="sweep-new">
            New sweep
          </button>
        </header>
        {error && <p className="tr-bad small pad">{error}</p>}
        {!sweeps.length && !error && <p className="muted small pad">No sweeps yet.</p>}
        <ul>
          {sweeps.map((s) => (
            <li
              key={s.id}
              className={`xp-list-item ${s.id === shownId ? 'shown' : ''}`}
              onClick={() => (setCreating(false), showSweep(s.id))}
              data-testid="sweep-row"
              data-sweep={s.id}
            >
              <span className="mono">{s.id.slice(0, 8)}</span> <StatusChip status={s.status} />
              <div className="muted small">
                {done(s)}/{s.trials_total} trials · best {formatValue(s.best?.value ?? null)}
              </div>
            </li>
          ))}
        </ul>
      </aside>
      <section className="xp-main">
        {shown && !creating ? <SweepView sweep={shown} /> : <SweepForm onStarted={() => setCreating(false)} />}
      </section>
    </div>
  );
}
