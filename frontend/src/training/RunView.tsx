/**
 * The middle column: the shown run's status, progress (epoch, batch, time left),
 * errors, and its charts (uPlot, loaded on demand), optionally overlaid with a second run.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import { useEditor } from '../editor/store/editor';
import { trainingApi } from './api';
import { formatSeconds, progressOf } from './runData';
import { formatStat, noStatsNote, statEpochs, STATS, type StatKey } from './layerStats';
import { cancelRun, compareRun, dataOf, openRunGraph, setColourBy, useTraining } from './store';
import { isTerminal, type Artifact, type RunSummary } from './types';

const RunCharts = lazy(() => import('./RunCharts'));
const SystemCharts = lazy(() => import('./SystemCharts'));
const ResultsView = lazy(() => import('../experiments/ResultsView'));
const ServingPanel = lazy(() => import('../serving/ServingPanel'));

/** The views of a run below its progress: its metric charts, the trainer's system use,
 * and once it succeeded, its results. */
const RUN_PAGES = [
  ['charts', 'Charts'],
  ['system', 'System'],
  ['results', 'Results'],
  ['serving', 'Export & fine-tune'],
] as const;
type RunPage = (typeof RUN_PAGES)[number][0];
const ONCE_TRAINED: RunPage[] = ['results', 'serving'];

/** A run started from trained weights: what its `weights` event says was loaded, skipped and initialised. */
function WeightsReport({ runId }: { runId: string }) {
  useTraining((s) => s.tick);
  const w = dataOf(runId)?.weights;
  if (!w) return null;
  const parts = [
    ['loaded', w.loaded ?? []],
    ['skipped', w.skipped ?? []],
    ['initialised', w.initialised ?? []],
  ] as const;
  return (
    <details className="small xp-weights" data-testid="weights-report">
      <summary>
        Started from <span className="mono">{w.source}</span>:{' '}
        {parts.map(([k, list]) => `${list.length} ${k}`).join(', ')}
      </summary>
      {parts.map(([k, list]) =>
        list.length ? (
          <div key={k} data-testid={`weights-${k}`}>
            <b>{k}</b>
            <ul>
              {list.map((l) => (
                <li key={l.layer}>
                  <span className="mono">{l.layer}</span>
                  {l.source && l.source !== l.layer && <> ← {l.source}</>}
                  {l.by && <span className="muted"> (by {l.by})</span>}
                  {l.reason && <span className="muted">: {l.reason}</span>}
                </li>
              ))}
            </ul>
          </div>
        ) : null,
      )}
    </details>
  );
}

function RunPages({ page, onPage, trained }: { page: RunPage; onPage(p: RunPage): void; trained: boolean }) {
  return (
    <nav className="xp-tabs" aria-label="Run views">
      {RUN_PAGES.filter(([key]) => trained || !ONCE_TRAINED.includes(key)).map(([key, label]) => (
        <button
          key={key}
          className={page === key ? 'active' : ''}
          onClick={() => onPage(key)}
          data-testid={`run-page-${key}`}
        >
          {label}
        </button>
      ))}
    </nav>
  );
}

export function StatusChip({ status }: { status: string | null | undefined }) {
  return <span className={`tr-status tr-status-${status ?? 'unknown'}`}>{status ?? '…'}</span>;
}

function ProgressBar({ runId }: { runId: string }) {
  useTraining((s) => s.tick);
  const data = dataOf(runId);
  const p = data ? progressOf(data) : null;
  if (!p && isTerminal(data?.status)) {
    return (
      <div className="tr-progress" data-testid="run-progress">
        <span className="muted small">The run ended ({data?.status}) before its first batch.</span>
      </div>
    );
  }
  if (!p) {
    return (
      <div className="tr-progress" data-testid="run-progress">
        <div className="tr-bar">
          <div className="tr-bar-fill indeterminate" />
        </div>
        <span className="muted small">
          {data?.status === 'queued' || !data?.status ? 'Waiting for a worker…' : 'Building the model…'}
        </span>
      </div>
    );
  }
  return (
    <div className="tr-progress" data-testid="run-progress">
      <div className="tr-bar" title={`${Math.round(p.fraction * 100)} %`}>
        <div className="tr-bar-fill" style={{ width: `${(p.fraction * 100).toFixed(1)}%` }} />
      </div>
      <span className="small tr-progress-text">
        Epoch <b>{p.epoch + 1}</b>/{p.epochs} · batch {p.batch + 1}/{p.batches || '?'} · {Math.round(p.fraction * 100)}{' '}
        %
        {!isTerminal(data?.status) && (
          <> · {p.leftS === null ? 'estimating time left…' : `${formatSeconds(p.leftS)} left`}</>
        )}
        {p.elapsedS !== null && <span className="muted"> · {formatSeconds(p.elapsedS)} elapsed</span>}
      </span>
    </div>
  );
}

function Artifacts({ runId, status }: { runId: string; status: string | null | undefined }) {
  const [items, setItems] = useState<Artifact[] | null>(null);
  useEffect(() => {
    setItems(null);
    if (!isTerminal(status)) return;
    let live = true;
    trainingApi.artifacts(runId).then(
      (a) => live && setItems(a.filter((x) => !x.name.startsWith('tensorboard/'))),
      () => live && setItems([]),
    );
    return () => {
      live = false;
    };
  }, [runId, status]);
  if (!items?.length) return null;
  return (
    <details className="small tr-artifacts" data-testid="run-files">
      <summary title="The files this run wrote">Files ({items.length})</summary>
      <div className="tr-artifacts-list">
        {items.map((a) => (
          <a key={a.name} href={trainingApi.artifactUrl(runId, a.name)} download>
            {a.name}
          </a>
        ))}
      </div>
    </details>
  );
}

function StreamNote({ runId }: { runId: string }) {
  const st = useTraining((s) => s.streams[runId]);
  if (!st) return null;
  if (st.kind === 'reconnecting')
    return (
      <span className="tr-note warn" data-testid="stream-reconnecting">
        connection lost, reconnecting in {formatSeconds(st.inMs / 1000)} (try {st.attempt})
      </span>
    );
  if (st.kind === 'error') return <span className="tr-note bad">{st.message}</span>;
  if (st.kind === 'live')
    return (
      <span className="tr-note good" title="Streaming events live">
        ● live
      </span>
    );
  if (st.kind === 'loading') return <span className="tr-note">loading history…</span>;
  return null;
}

/** Colour the graph by a statistic of this run at an epoch: the choice, a timeline over
 * the epochs that have statistics, the legend and the flagged nodes. */
function GraphColouring({ runId, run }: { runId: string; run: RunSummary | undefined }) {
  const colourBy = useTraining((s) => s.colourBy);
  const colouring = useTraining((s) => s.colouring);
  const ofThisGraph = useEditor((s) => s.runs.includes(runId));
  useTraining((s) => s.tick);
  const data = dataOf(runId);
  const stats = data?.layerStats ?? [];
  if (!stats.length) {
    if (!run) return null; // its settings are not known yet
    return (
      <p
        className="muted small tr-one-line"
        data-testid="stats-none"
        title="Layer statistics colour the graph by gradient norms, activations and dead units."
      >
        {noStatsNote(run.settings.layer_stats === true, data?.status ?? run.status)}
      </p>
    );
  }
  if (!ofThisGraph)
    return (
      <p className="muted small" data-testid="stats-other-graph">
        This run trained another graph than the one open: its colouring stays with that graph.{' '}
        <button className="small ghost" onClick={() => void openRunGraph(runId)}>
          Open its graph
        </button>
      </p>
    );
  const epochs = statEpochs(stats);
  const stat = colouring?.stat;
  const flagged = colouring ? [...colouring.nodes].filter(([, m]) => m.flags.length) : [];
  const epochIndex = colouring ? epochs.indexOf(colouring.epoch) : epochs.length - 1;
  return (
    <div className="stat-legend small" data-testid="graph-colouring">
      <label>
        Colour the graph by{' '}
        <select
          value={colourBy.stat ?? ''}
          onChange={(e) => setColourBy({ ...colourBy, stat: (e.target.value || null) as StatKey | null })}
          data-testid="colour-by"
        >
          <option value="">nothing</option>
          {STATS.map((s) => (
            <option key={s.key} value={s.key}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      {colouring && (
        <>
          <label>
            epoch {colouring.epoch + 1}
            <input
              type="range"
              min={0}
              max={epochs.length - 1}
              value={epochIndex}
              onChange={(e) => setColourBy({ ...colourBy, epoch: epochs[Number(e.target.value)] })}
              aria-label="epoch"
              data-testid="colour-epoch"
            />
          </label>
          <span className="mono">{formatStat(colouring.low)}</span>
          <span className="stat-legend-bar" aria-hidden />
          <span className="mono">{formatStat(colouring.high)}</span>
          {stat?.log && <span className="muted">log scale</span>}
          {flagged.length > 0 && (
            <span className="tr-bad" data-testid="colour-flags">
              ⚠ {flagged.map(([id, m]) => `${id}: ${m.flags[0]}`).join('; ')}
            </span>
          )}
        </>
      )}
    </div>
  );
}

export function RunView() {
  const viewId = useTraining((s) => s.viewRunId);
  const compareId = useTraining((s) => s.compareRunId);
  const run = useTraining((s) => s.runs.find((r) => r.id === s.viewRunId));
  const cancelling = useTraining((s) => !!(s.viewRunId && s.cancelling[s.viewRunId]));
  const [page, setPage] = useState<RunPage>('charts');
  useTraining((s) => s.tick);
  if (!viewId) {
    return (
      <section className="tr-main tr-empty">
        <p className="muted">
          Choose a data set and press Start: loss and metrics appear here as the batches arrive. Past runs are listed on
          the right.
        </p>
      </section>
    );
  }
  const data = dataOf(viewId);
  const status = data?.status ?? run?.status;
  const error =
    data?.errors[data.errors.length - 1] ?? (data?.statusError as { message?: string; node?: string | null } | null);
  const warnings = data?.logs.filter((l) => l.level === 'warning') ?? [];
  const trained = status === 'succeeded';
  const shownPage = trained || !ONCE_TRAINED.includes(page) ? page : 'charts';
  return (
    <section
      className="tr-main"
      data-testid="run-view"
      data-run-id={viewId}
      data-status={status ?? ''}
      data-points={data?.points ?? 0}
      data-events={data?.events ?? 0}
    >
      <header className="tr-run-head">
        <b className="mono" title={viewId}>
          run {viewId.slice(0, 8)}
        </b>
        <StatusChip status={status} />
        {run?.dataset?.name && <span className="muted small">on {run.dataset.name}</span>}
        <StreamNote runId={viewId} />
        <span className="grow" />
        {compareId && (
          <span className="small tr-compare-note">
            overlaid (B, dashed): <b className="mono">{compareId.slice(0, 8)}</b>{' '}
            <button className="small ghost" onClick={() => compareRun(null)} title="Stop overlaying">
              ✕
            </button>
          </span>
        )}
        <Artifacts runId={viewId} status={status} />
        {!isTerminal(status) && (
          <button
            className="small danger"
            onClick={() => void cancelRun(viewId)}
            disabled={cancelling}
            data-testid="cancel-run"
          >
            {cancelling ? 'Cancelling…' : '■ Cancel'}
          </button>
        )}
      </header>
      <ProgressBar runId={viewId} />
      {error?.message && (
        <div className="banner error small" data-testid="run-error">
          {error.node ? <a onClick={() => useEditor.getState().focusNode(error.node!)}>{error.node}</a> : null}
          {error.node ? ': ' : ''}
          {error.message}
        </div>
      )}
      {warnings.slice(-2).map((w) => (
        <div key={w.seq} className="banner warning small">
          {w.message}
        </div>
      ))}
      <WeightsReport runId={viewId} />
      <GraphColouring runId={viewId} run={run} />
      <RunPages page={shownPage} onPage={setPage} trained={trained} />
      <Suspense fallback={<p className="muted small">Loading charts…</p>}>
        {shownPage === 'charts' && <RunCharts viewId={viewId} compareId={compareId} />}
        {shownPage === 'system' && <SystemCharts runId={viewId} />}
        {shownPage === 'results' && <ResultsView runId={viewId} />}
        {shownPage === 'serving' && <ServingPanel runId={viewId} />}
      </Suspense>
    </section>
  );
}
