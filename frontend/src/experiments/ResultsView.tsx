/**
 * A finished run's results: from its `evaluation.json` artifact (which has no Keras
 * metrics: those are the run's own), or computed on demand (`POST /api/runs/{id}/evaluate`). Per Output: for a classifier the confusion matrix
 * (click a cell for the samples the evaluation lists of it, the most confident first),
 * precision, recall and F1 per class and the most confidently wrong samples (thumbnail,
 * text or row); for a regression, predicted against true and the residuals.
 */
import { useEffect, useState } from 'react';
import { experimentsApi, type EvaluatedSample, type Evaluation, type OutputResults } from './api';
import { cellColour, cellSamples, cellTitle, commonRange, formatScore, linear, rowShare } from './results';
import './experiments.css';

function Sample({ s }: { s: EvaluatedSample }) {
  return (
    <div className="xp-sample" data-testid="result-sample" data-index={s.index}>
      {s.thumbnail && <img src={s.thumbnail} alt={s.file ?? `sample ${s.index}`} />}
      <div>
        {s.true === s.predicted ? (
          <>
            <b>{s.true}</b> predicted rightly
          </>
        ) : (
          <>
            <b>{s.true}</b> taken for <b className="tr-bad">{s.predicted}</b>
          </>
        )}
      </div>
      <div className="muted">
        {(s.confidence * 100).toFixed(1)} % sure · #{s.index}
      </div>
      {s.text && (
        <div className="mono xp-ellipsis" title={s.text}>
          {s.text}
        </div>
      )}
      {s.row && (
        <div className="mono xp-ellipsis" title={s.row.join(', ')}>
          [
          {s.row
            .slice(0, 6)
            .map((v) => +v.toPrecision(3))
            .join(', ')}
          {s.row.length > 6 ? ', …' : ''}]
        </div>
      )}
      {s.file && <div className="muted xp-ellipsis">{s.file}</div>}
    </div>
  );
}

function Classification({ out }: { out: OutputResults }) {
  const [cell, setCell] = useState<[number, number] | null>(null);
  const classes = out.classes ?? [];
  const matrix = out.confusion_matrix ?? [];
  const worst = out.worst ?? [];
  const listed = cell ? (out.cells ? cellSamples(out.cells, cell[0], cell[1]) : null) : worst;
  return (
    <>
      <div className="xp-cols">
        <div>
          <div className="xp-section">Confusion matrix (rows: true class, columns: predicted)</div>
          <table className="xp-confusion" data-testid="confusion-matrix">
            <thead>
              <tr>
                <th />
                {classes.map((c) => (
                  <th key={c} title={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {matrix.map((row, i) => (
                <tr key={i}>
                  <th title={classes[i]}>{classes[i]}</th>
                  {row.map((n, j) => {
                    const share = rowShare(matrix, i, j);
                    const picked = cell?.[0] === i && cell?.[1] === j;
                    return (
                      <td key={j}>
                        <button
                          className={picked ? 'picked' : ''}
                          style={{ background: cellColour(share, i === j), color: share > 0.6 ? '#fff' : undefined }}
                          onClick={() => setCell(picked ? null : [i, j])}
                          title={`${n} of class ${classes[i]} predicted as ${classes[j]} (${(share * 100).toFixed(0)} %)`}
                          data-testid="confusion-cell"
                          data-cell={`${i},${j}`}
                        >
                          {n}
                        </button>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <div className="xp-section">Per class</div>
          <table className="xp-table small" data-testid="per-class">
            <thead>
              <tr>
                <th>class</th>
                <th>precision</th>
                <th>recall</th>
                <th>F1</th>
                <th>support</th>
              </tr>
            </thead>
            <tbody>
              {(out.per_class ?? []).map((c) => (
                <tr key={c.name} data-testid="class-row">
                  <td>{c.name}</td>
                  <td className="mono">{formatScore(c.precision)}</td>
                  <td className="mono">{formatScore(c.recall)}</td>
                  <td className="mono">{formatScore(c.f1)}</td>
                  <td className="mono">{c.support}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <div className="xp-section" data-testid="samples-title">
        {cell
          ? cellTitle(classes, matrix, cell[0], cell[1], listed === null ? null : listed.length)
          : `The ${worst.length} most confidently wrong samples`}
        {cell && (
          <button className="small ghost" onClick={() => setCell(null)}>
            the worst mistakes
          </button>
        )}
      </div>
      <div className="xp-worst">
        {(listed ?? []).map((s) => (
          <Sample key={s.index} s={s} />
        ))}
      </div>
    </>
  );
}

const W = 260;
const H = 200;
const M = 30;

function Regression({ out }: { out: OutputResults }) {
  const r = out.regression!;
  const [lo, hi] = commonRange(r.points);
  const x = linear(lo, hi, M, W - 8);
  const y = linear(lo, hi, H - M, 8);
  const counts = r.residuals.counts;
  const edges = r.residuals.edges;
  const top = Math.max(1, ...counts);
  const bx = linear(edges[0] ?? 0, edges[edges.length - 1] ?? 1, M, W - 8);
  const by = linear(0, top, H - M, 8);
  return (
    <>
      <p className="small">
        MAE <b className="mono">{r.mae.toPrecision(4)}</b> · RMSE <b className="mono">{r.rmse.toPrecision(4)}</b> · R²{' '}
        <b className="mono">{r.r2 === null ? '–' : r.r2.toFixed(3)}</b>
      </p>
      <div className="xp-cols">
        <figure style={{ margin: 0 }}>
          <figcaption className="xp-section">Predicted against true</figcaption>
          <svg width={W} height={H} data-testid="pred-vs-true" role="img" aria-label="Predicted against true">
            <line x1={x(lo)} y1={y(lo)} x2={x(hi)} y2={y(hi)} stroke="#cbd5e1" strokeDasharray="4 3" />
            <line x1={M} y1={H - M} x2={W - 8} y2={H - M} stroke="#94a3b8" />
            <line x1={M} y1={8} x2={M} y2={H - M} stroke="#94a3b8" />
            {r.points.map(([t, p], i) => (
              <circle key={i} cx={x(t)} cy={y(p)} r={2.2} fill="#4f46e5" fillOpacity={0.6} data-testid="pvt-point" />
            ))}
            <text x={W / 2} y={H - 8} textAnchor="middle" fontSize={10}>
              true
            </text>
            <text x={10} y={H / 2} textAnchor="middle" fontSize={10} transform={`rotate(-90 10 ${H / 2})`}>
              predicted
            </text>
          </svg>
        </figure>
        <figure style={{ margin: 0 }}>
          <figcaption className="xp-section">Residuals (predicted − true)</figcaption>
          <svg width={W} height={H} data-testid="residuals" role="img" aria-label="Residuals">
            {counts.map((c, i) => (
              <rect
                key={i}
                x={bx(edges[i]) + 0.5}
                y={by(c)}
                width={Math.max(1, bx(edges[i + 1]) - bx(edges[i]) - 1)}
                height={H - M - by(c)}
                fill="#ea580c"
                data-testid="residual-bar"
              />
            ))}
            <line x1={M} y1={H - M} x2={W - 8} y2={H - M} stroke="#94a3b8" />
            <text x={M} y={H - 14} fontSize={10}>
              {(edges[0] ?? 0).toPrecision(3)}
            </text>
            <text x={W - 8} y={H - 14} fontSize={10} textAnchor="end">
              {(edges[edges.length - 1] ?? 0).toPrecision(3)}
            </text>
          </svg>
        </figure>
      </div>
    </>
  );
}

type Load =
  { kind: 'loading' } | { kind: 'none' } | { kind: 'error'; message: string } | { kind: 'done'; ev: Evaluation };

export default function ResultsView({ runId }: { runId: string }) {
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [outIndex, setOutIndex] = useState(0);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    setLoad({ kind: 'loading' });
    experimentsApi.storedEvaluation(runId).then(
      (ev) => live && setLoad(ev ? { kind: 'done', ev } : { kind: 'none' }),
      (e) => live && setLoad({ kind: 'error', message: (e as Error).message }),
    );
    return () => {
      live = false;
    };
  }, [runId]);
  const evaluate = async () => {
    setBusy(true);
    try {
      setLoad({ kind: 'done', ev: await experimentsApi.evaluate(runId) });
    } catch (e) {
      setLoad({ kind: 'error', message: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const button = (
    <button className="small" onClick={() => void evaluate()} disabled={busy} data-testid="evaluate-run">
      {busy ? 'Evaluating…' : load.kind === 'done' ? 'Evaluate again' : 'Evaluate now'}
    </button>
  );
  if (load.kind === 'loading') return <p className="muted small">Loading the results…</p>;
  if (load.kind !== 'done')
    return (
      <p className="small" data-testid="results-none">
        {load.kind === 'error' ? <span className="tr-bad">{load.message} </span> : 'This run stored no evaluation. '}
        {button}
      </p>
    );
  const { ev } = load;
  const outputs = ev.outputs ?? [];
  const out = outputs[Math.min(outIndex, outputs.length - 1)];
  // the stored evaluation has none (the run's charts hold them); "Evaluate again" does
  const metrics = Object.entries(ev.metrics ?? {})
    .map(([k, v]) => `${k} ${v === null ? '–' : v.toPrecision(4)}`)
    .join(' · ');
  return (
    <div data-testid="results" data-samples={ev.samples}>
      <p className="small">
        On {ev.samples} samples of <b>{ev.dataset}</b> ({ev.data ?? 'whole set'}){metrics ? `: ${metrics}` : '.'}{' '}
        {button}
      </p>
      {outputs.length > 1 && (
        <nav className="xp-tabs" aria-label="Outputs">
          {outputs.map((o, i) => (
            <button key={o.output} className={o === out ? 'active' : ''} onClick={() => setOutIndex(i)}>
              {o.output}
            </button>
          ))}
        </nav>
      )}
      {!out ? null : out.task === 'classification' ? (
        <Classification key={out.output} out={out} />
      ) : out.task === 'regression' && out.regression ? (
        <Regression out={out} />
      ) : (
        <p className="muted small">Output {out.output} is described by its metrics only.</p>
      )}
    </div>
  );
}
