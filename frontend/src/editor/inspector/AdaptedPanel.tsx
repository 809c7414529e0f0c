/**
 * Under a preprocessing node a run adapts before fit (the catalogue's `adapt_state`:
 * TextVectorization, StringLookup, Normalization, ...): what it learned in the run shown,
 * from that run's `adapted` event (the vocabulary's size and most frequent tokens, the
 * mean and variance, the bin boundaries), when that run trained this graph. Loaded
 * lazily: it reads the training store.
 */
import { useEffect } from 'react';
import { dataOf, initTraining, runOfThisGraph, useTraining } from '../../training/store';
import type { AdaptedEvent } from '../../training/types';
import '../../datasets/datasets.css';

/** The first `n` values, short. */
function values(xs: (number | null)[] | null | undefined, n = 6): string {
  if (!xs?.length) return '';
  const shown = xs.slice(0, n).map((v) => (v === null ? '–' : Number(v.toPrecision(3)).toString()));
  return shown.join(', ') + (xs.length > n ? `, … (${xs.length})` : '');
}

function Learned({ ev }: { ev: AdaptedEvent }) {
  return (
    <>
      <p className="small">Adapted to the run's training split in {ev.seconds.toFixed(2)} s.</p>
      <dl className="stats">
        {ev.vocabulary_size != null && (
          <>
            <dt>Vocabulary</dt>
            <dd data-testid="adapted-vocabulary">{ev.vocabulary_size} tokens</dd>
          </>
        )}
        {ev.mean && (
          <>
            <dt>Mean</dt>
            <dd className="mono" data-testid="adapted-mean">
              {values(ev.mean)}
            </dd>
            <dt>Variance</dt>
            <dd className="mono">{values(ev.variance)}</dd>
          </>
        )}
        {ev.bin_boundaries && (
          <>
            <dt>Bins</dt>
            <dd className="mono" data-testid="adapted-bins">
              {values(ev.bin_boundaries)}
            </dd>
          </>
        )}
      </dl>
      {!!ev.top_tokens?.length && (
        <>
          <div className="small muted">Most frequent first:</div>
          <ol className="ds-tokens" data-testid="adapted-tokens">
            {ev.top_tokens.map((t, i) => (
              <li key={i}>{t === '' ? '(empty)' : t}</li>
            ))}
          </ol>
        </>
      )}
    </>
  );
}

export default function AdaptedPanel({ nodeId }: { nodeId: string }) {
  useEffect(() => initTraining(), []); // the run shown, resumed after a reload
  useTraining((s) => s.tick); // the run's events arrive
  const runId = useTraining((s) => s.viewRunId);
  const data = runOfThisGraph(runId) ? dataOf(runId) : null;
  const ev = data?.adapted.find((e) => e.node === nodeId);
  return (
    <fieldset className="inner" data-testid="adapted" data-run-id={ev ? runId : undefined}>
      <legend>{ev && runId ? `Learned in run ${runId.slice(0, 8)}` : 'Learned from the data'}</legend>
      {ev ? (
        <Learned ev={ev} />
      ) : (
        <p className="muted small">
          A run adapts this layer to its training split before fit (unless its parameters give the state); what it
          learned shows here.
        </p>
      )}
    </fieldset>
  );
}
