/**
 * The runs dashboard (a dock tab): every run, grouped by the sweep that made it, ticked
 * to overlay one metric of all of them on one chart, with EMA smoothing, log axes and
 * each run's min, max and last value. A run's own page (charts, system metrics,
 * results, exports) stays in the Training tab: "show" opens it there.
 */
import { lazy, Suspense, useEffect, useMemo } from 'react';
import { StatusChip } from '../training/RunView';
import { dataOf, initTraining, useTraining, viewRun } from '../training/store';
import type { RunSummary } from '../training/types';
import { showDockTab } from '../ui/dock';
import { selectRuns, setDashboard, useDashboard } from './dashboardStore';
import { epochMetrics, formatValue, groupBySweep, overlayOf, runColour } from './overlay';
import { refreshSweeps, useSweeps } from './sweepStore';
import './experiments.css';

const OverlayChart = lazy(() => import('./OverlayChart'));

function RunRow({ run, ticked, colour }: { run: RunSummary; ticked: boolean; colour: string | null }) {
  return (
    <li className="xp-run" data-testid="dash-run" data-run-id={run.id}>
      <label>
        <input
          type="checkbox"
          checked={ticked}
          onChange={(e) => selectRuns([run.id], e.target.checked)}
          aria-label={`overlay run ${run.id.slice(0, 8)}`}
        />
        <i className="xp-swatch" style={{ background: colour ?? 'transparent' }} />
        <span className="mono">{run.id.slice(0, 8)}</span>
      </label>
      <StatusChip status={run.status} />
      <span className="muted small xp-ellipsis">{run.dataset?.name}</span>
    </li>
  );
}

export default function Dashboard() {
  useEffect(() => {
    initTraining();
    void refreshSweeps();
  }, []);
  const runs = useTraining((s) => s.runs);
  useTraining((s) => s.tick);
  const sweeps = useSweeps((s) => s.sweeps);
  const { selected, metric: chosen, smoothing, logX, logY } = useDashboard();
  // a run the list did not know yet may belong to a sweep started meanwhile
  const runCount = runs.length;
  useEffect(() => void refreshSweeps(), [runCount]);

  const groups = useMemo(() => groupBySweep(runs, sweeps), [runs, sweeps]);
  const order = useMemo(() => new Map(runs.map((r, i) => [r.id, i])), [runs]);
  const shown = selected.filter((id) => order.has(id));
  const streams = useTraining((s) => s.streams);
  const loaded = shown.filter((id) => streams[id] && streams[id].kind !== 'loading').length;
  const tables = shown.map((id) => ({ id, table: dataOf(id)?.table })).filter((r) => r.table);
  const metrics = epochMetrics(tables.map((r) => r.table!));
  const metric = chosen && metrics.includes(chosen) ? chosen : (metrics[0] ?? null);
  const drawn = tables.map((r) => ({ id: r.id, table: r.table! }));
  // recomputed on every tick (the tables fill in place): one pass over the ticked runs' epochs
  const overlay = metric ? overlayOf(drawn, metric, smoothing, logY) : null;
  const colourIndex = drawn.map((d) => order.get(d.id) ?? 0);

  return (
    <div className="xp-dashboard" data-testid="dashboard">
      <aside className="xp-runs" aria-label="Runs by sweep">
        <header className="xp-head">
          <b>Runs</b>
          <span className="grow" />
          <button
            className="small ghost"
            onClick={() =>
              selectRuns(
                runs.map((r) => r.id),
                true,
              )
            }
            data-testid="dash-all"
          >
            All
          </button>
          <button className="small ghost" onClick={() => selectRuns(selected, false)} data-testid="dash-none">
            None
          </button>
        </header>
        {!runs.length && <p className="muted small pad">No runs yet.</p>}
        {groups.map((g) => {
          const ids = g.runs.map((r) => r.id);
          const all = ids.every((id) => selected.includes(id));
          return (
            <section key={g.sweep ?? 'none'} className="xp-group" data-testid="dash-group" data-sweep={g.sweep ?? ''}>
              <label className="xp-group-head small">
                <input
                  type="checkbox"
                  checked={all}
                  onChange={(e) => selectRuns(ids, e.target.checked)}
                  aria-label={g.sweep ? `overlay every run of sweep ${g.sweep.slice(0, 8)}` : 'overlay every other run'}
                />
                {g.sweep ? (
                  <b>
                    sweep <span className="mono">{g.sweep.slice(0, 8)}</span>
                  </b>
                ) : (
                  <b>runs on their own</b>
                )}
                <span className="muted">({ids.length})</span>
              </label>
              <ul>
                {g.runs.map((r) => (
                  <RunRow
                    key={r.id}
                    run={r}
                    ticked={selected.includes(r.id)}
                    colour={selected.includes(r.id) ? runColour(order.get(r.id) ?? 0) : null}
                  />
                ))}
              </ul>
            </section>
          );
        })}
      </aside>
      <section className="xp-main">
        <div className="xp-controls small">
          <label>
            metric{' '}
            <select
              value={metric ?? ''}
              onChange={(e) => setDashboard({ metric: e.target.value })}
              data-testid="dash-metric"
              disabled={!metrics.length}
            >
              {metrics.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <label title="Exponential moving average (TensorBoard's smoothing)">
            smoothing{' '}
            <input
              type="range"
              min={0}
              max={0.99}
              step={0.01}
              value={smoothing}
              onChange={(e) => setDashboard({ smoothing: Number(e.target.value) })}
              data-testid="dash-smoothing"
            />{' '}
            <span className="mono">{smoothing.toFixed(2)}</span>
          </label>
          <label>
            <input
              type="checkbox"
              checked={logX}
              onChange={(e) => setDashboard({ logX: e.target.checked })}
              data-testid="dash-logx"
            />{' '}
            log x
          </label>
          <label>
            <input
              type="checkbox"
              checked={logY}
              onChange={(e) => setDashboard({ logY: e.target.checked })}
              data-testid="dash-logy"
            />{' '}
            log y
          </label>
          <span className="muted">
            {loaded} of {shown.length} ticked runs loaded
          </span>
        </div>
        {!shown.length ? (
          <p className="muted pad">Tick runs on the left (or a whole sweep) to overlay their curves.</p>
        ) : overlay && metric ? (
          <>
            <Suspense fallback={<p className="muted small">Loading the chart…</p>}>
              <OverlayChart
                metric={metric}
                ids={drawn.map((d) => d.id)}
                colourIndex={colourIndex}
                overlay={overlay}
                logX={logX}
                logY={logY}
                height={260}
              />
            </Suspense>
            <table className="xp-table small" data-testid="dash-table">
              <thead>
                <tr>
                  <th />
                  <th>run</th>
                  <th>status</th>
                  <th>min</th>
                  <th>max</th>
                  <th>last</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {drawn.map((d, i) => {
                  const s = overlay.summaries[i];
                  const run = runs.find((r) => r.id === d.id);
                  return (
                    <tr key={d.id} data-testid="dash-row" data-run-id={d.id}>
                      <td>
                        <i className="xp-swatch" style={{ background: runColour(colourIndex[i]) }} />
                      </td>
                      <td className="mono">{d.id.slice(0, 8)}</td>
                      <td>
                        <StatusChip status={dataOf(d.id)?.status ?? run?.status} />
                      </td>
                      <td className="mono" data-testid="dash-min">
                        {formatValue(s.min)}
                      </td>
                      <td className="mono" data-testid="dash-max">
                        {formatValue(s.max)}
                      </td>
                      <td className="mono" data-testid="dash-last">
                        {formatValue(s.last)}
                      </td>
                      <td>
                        <button
                          className="small ghost"
                          onClick={() => (viewRun(d.id), showDockTab('training'))}
                          title="Its page in the Training tab"
                        >
                          show
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        ) : (
          <p className="muted small pad">The ticked runs have no epoch values yet.</p>
        )}
      </section>
    </div>
  );
}
