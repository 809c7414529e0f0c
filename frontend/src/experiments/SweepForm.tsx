/**
 * Start a sweep of the graph being drawn: trials, parallel, sampler, pruner, objective,
 * and the search dimensions (JSON Pointer + range or choices) kept in the sweep store,
 * which the inspector can add to as well (`addSweepDimension`). The data set and the
 * other settings are the Training tab's. A 422 lists each problem as the server wrote it.
 */
import { useState } from 'react';
import type { ApiError } from '../api/client';
import type { Problem } from '../editor/graph/types';
import { useEditor } from '../editor/store/editor';
import { settingsOf, useTraining } from '../training/store';
import { experimentsApi, type Dimension, type SweepRequest } from './api';
import { dimensionLabel } from './parallel';
import { DIMENSION_KINDS, defaultDimension, pointerSuggestions, valueAt, type DimensionKind } from './sweepForm';
import { addSweepDimension, refreshSweeps, removeSweepDimension, showSweep, useSweeps } from './sweepStore';
import { useDimensionDraft } from './useDimensionDraft';

/** One dimension's fields; a change that makes sense replaces it in the store. */
function DimensionRow({ pointer, dim }: { pointer: string; dim: Dimension }) {
  const { kind, fields, parsed, change } = useDimensionDraft(pointer, dim);
  const field = (name: 'low' | 'high' | 'step', label: string) => (
    <label className="xp-field">
      {label}
      <input
        type="number"
        step="any"
        value={fields[name]}
        onChange={(e) => change(kind, { ...fields, [name]: e.target.value })}
        data-testid={`dim-${name}`}
      />
    </label>
  );
  return (
    <div className="xp-dim" data-testid="sweep-dimension" data-pointer={pointer}>
      <span className="mono small" title={pointer}>
        {dimensionLabel(pointer)}
      </span>
      <select value={kind} onChange={(e) => change(e.target.value as DimensionKind, fields)} data-testid="dim-kind">
        {DIMENSION_KINDS.map(([k, label]) => (
          <option key={k} value={k}>
            {label}
          </option>
        ))}
      </select>
      {kind === 'choices' ? (
        <label className="xp-field">
          choices (comma-separated)
          <input
            type="text"
            value={fields.choices}
            onChange={(e) => change(kind, { ...fields, choices: e.target.value })}
            data-testid="dim-choices"
          />
        </label>
      ) : (
        <>
          {field('low', 'low')}
          {field('high', 'high')}
          {kind === 'int' && field('step', 'step')}
        </>
      )}
      {typeof parsed === 'string' && <span className="tr-bad small">{parsed}</span>}
      <button className="small ghost" onClick={() => removeSweepDimension(pointer)} title="Remove this dimension">
        ✕
      </button>
    </div>
  );
}

export function SweepForm({ onStarted }: { onStarted(): void }) {
  const dimensions = useSweeps((s) => s.dimensions);
  const graph = useEditor((s) => s.root);
  const form = useTraining((s) => s.form);
  const [pointer, setPointer] = useState('');
  const [o, setO] = useState({
    trials: 8,
    parallel: 2,
    sampler: 'tpe' as SweepRequest['sampler'],
    pruner: 'median' as SweepRequest['pruner'],
    metric: 'val_loss',
    direction: 'minimize' as 'minimize' | 'maximize',
  });
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const settings = settingsOf(form);

  const add = () => {
    const p = pointer.trim();
    if (!p.startsWith('/')) return;
    addSweepDimension(p, defaultDimension(p, valueAt({ graph, settings }, p)));
    setPointer('');
  };
  const start = async () => {
    setBusy(true);
    setProblems([]);
    try {
      const sweep = await experimentsApi.createSweep({
        graph,
        dataset: { name: form.dataset },
        settings,
        space: dimensions,
        trials: o.trials,
        parallel: o.parallel,
        sampler: o.sampler,
        pruner: o.pruner,
        objective: { metric: o.metric, direction: o.direction },
      });
      await refreshSweeps();
      showSweep(sweep.id);
      onStarted();
    } catch (e) {
      const err = e as ApiError;
      setProblems(
        err.problems?.length ? err.problems : [{ node: null, param: null, code: 'error', message: err.message }],
      );
    } finally {
      setBusy(false);
    }
  };
  const num = (k: 'trials' | 'parallel') => (
    <label>
      {k}
      <input
        type="number"
        min={1}
        value={o[k]}
        onChange={(e) => setO({ ...o, [k]: Number(e.target.value) })}
        data-testid={`sweep-${k}`}
      />
    </label>
  );
  const count = Object.keys(dimensions).length;
  return (
    <div data-testid="sweep-form">
      <p className="small muted">
        A sweep of the graph being drawn on <b>{form.dataset || 'no data set'}</b> with the Training tab&apos;s
        settings; each trial is an ordinary run.
      </p>
      <div className="xp-form">
        {num('trials')}
        {num('parallel')}
        <label>
          sampler
          <select
            value={o.sampler}
            onChange={(e) => setO({ ...o, sampler: e.target.value as SweepRequest['sampler'] })}
            data-testid="sweep-sampler"
          >
            <option value="tpe">TPE</option>
            <option value="random">random</option>
          </select>
        </label>
        <label>
          pruner
          <select
            value={o.pruner}
            onChange={(e) => setO({ ...o, pruner: e.target.value as SweepRequest['pruner'] })}
            data-testid="sweep-pruner"
          >
            <option value="none">none</option>
            <option value="median">median</option>
            <option value="hyperband">Hyperband</option>
            <option value="asha">ASHA</option>
          </select>
        </label>
        <label>
          objective
          <input value={o.metric} onChange={(e) => setO({ ...o, metric: e.target.value })} data-testid="sweep-metric" />
        </label>
        <label>
          direction
          <select
            value={o.direction}
            onChange={(e) => setO({ ...o, direction: e.target.value as 'minimize' | 'maximize' })}
            data-testid="sweep-direction"
          >
            <option value="minimize">minimize</option>
            <option value="maximize">maximize</option>
          </select>
        </label>
      </div>
      <div className="xp-section">Search dimensions ({count})</div>
      <div className="xp-dims">
        {Object.entries(dimensions).map(([p, d]) => (
          <DimensionRow key={p} pointer={p} dim={d} />
        ))}
        <div className="xp-dim">
          <input
            type="text"
            list="sweep-pointers"
            placeholder="/graph/nodes/<id>/params/units or /settings/optimizer/learning_rate"
            value={pointer}
            onChange={(e) => setPointer(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && add()}
            data-testid="sweep-pointer"
            aria-label="JSON Pointer of a new dimension"
          />
          <datalist id="sweep-pointers">
            {pointerSuggestions(graph).map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
          <button
            className="small"
            onClick={add}
            disabled={!pointer.trim().startsWith('/')}
            data-testid="sweep-add-dim"
          >
            Add dimension
          </button>
        </div>
      </div>
      {problems.length > 0 && (
        <ul className="tr-problems" data-testid="sweep-problems">
          {problems.map((p, i) => (
            <li key={i}>
              {p.param ? <b>{p.param}: </b> : null}
              {p.message}
            </li>
          ))}
        </ul>
      )}
      <button
        className="tr-start"
        style={{ width: 'auto' }}
        onClick={() => void start()}
        disabled={busy || !count || !form.dataset || !graph.nodes.length}
        data-testid="sweep-start"
      >
        {busy ? 'Checking every corner…' : `Start sweep of ${o.trials} trials`}
      </button>
    </div>
  );
}
