/**
 * The left column: data set (built in or uploaded) and its check against the model's
 * Input and Output nodes, optimizer, learning rate, epochs, batch size, validation
 * split, and Start (disabled with the reason while the model or the data cannot train).
 */
import { useEffect, useState } from 'react';
import { formatShort } from '../editor/canvas/flow';
import { useEditor } from '../editor/store/editor';
import { FixButton } from '../editor/FixButton';
import { trainingApi } from './api';
import { DatasetUpload } from './DatasetUpload';
import { formProblem, inputRange, NUMBER_SETTINGS, type Bounds } from './numberSettings';
import { CHECK_DEBOUNCE_MS, setForm, settingsOf, startRun, useTraining } from './store';
import { startBlocker } from './startBlocker';
import type { DatasetInfo, Estimate } from './types';
import { largestGpu } from './workers';

function shapeText(shape: unknown): string {
  return Array.isArray(shape)
    ? `(${['None', ...shape.map((d) => (d === null ? 'None' : String(d)))].join(', ')})`
    : '?';
}

function arraysText(d: DatasetInfo, names: string[] | undefined): string {
  return (names ?? [])
    .map((n) => {
      const a = d.arrays?.[n];
      return a ? `${n} ${a.shape.join('×')} ${a.dtype}` : n;
    })
    .join(', ');
}

/**
 * The arrays that feed `nodes` (named like a node, as the server maps them first), else
 * the set's own list for that side; '—' when it names none (the check then says why).
 */
export function feedText(d: DatasetInfo, nodes: string[], pool: string[] | undefined): string {
  const named = nodes.filter((n) => d.arrays?.[n]);
  return arraysText(d, named.length === nodes.length && named.length ? named : pool) || '—';
}

function NumberField(props: {
  label: string;
  value: number;
  step: number;
  bounds: Bounds | undefined;
  testId: string;
  onChange(v: number): void;
}) {
  return (
    <label className="tr-field">
      <span>{props.label}</span>
      <input
        type="number"
        value={Number.isFinite(props.value) ? props.value : ''}
        step={props.step}
        {...inputRange(props.bounds, props.step)}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.target.value === '' ? NaN : Number(e.target.value))}
      />
    </label>
  );
}

/** 1,234,567,890 bytes -> "1.23 GB"; 512 -> "512 B". */
function bytesText(n: number): string {
  const short = formatShort(n);
  return /[kMGT]$/.test(short) ? `${short}B` : `${short} B`;
}

/**
 * What a run with these settings will take, before it is queued (POST /api/graphs/estimate);
 * when a worker has a GPU, against the largest one: a warning when the run will not fit
 * there, with the largest batch size that does.
 */
function MemoryEstimate() {
  const root = useEditor((s) => s.root);
  const valid = useEditor((s) => s.validation?.valid === true);
  const form = useTraining((s) => s.form);
  const bounds = useTraining((s) => s.bounds);
  const gpu = largestGpu(useTraining((s) => s.workers));
  const gpuBytes = gpu?.bytes;
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const ready = valid && !formProblem(form, bounds);
  useEffect(() => {
    if (!ready) return;
    let live = true;
    const timer = setTimeout(() => {
      trainingApi.estimate(root, settingsOf(form), gpuBytes).then(
        (e) => live && setEstimate(e),
        () => live && setEstimate(null),
      );
    }, CHECK_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [root, form, ready, gpuBytes]);
  if (!ready || !estimate?.training) return null;
  const t = estimate.training;
  const fits = estimate.max_batch_size;
  const tooBig = gpu && t.total_bytes > gpu.bytes;
  return (
    <>
      <p
        className="muted small"
        data-testid="memory-estimate"
        title={`weights ${bytesText(t.weights_bytes)}, gradients ${bytesText(t.gradients_bytes)}, optimizer ${bytesText(t.optimizer_bytes)}, activations kept for the backward pass ${bytesText(t.activations_bytes)}`}
      >
        ≈ {bytesText(t.total_bytes)} to train at batch {estimate.batch_size}
        {gpu && !tooBig ? ` on ${gpu.label}${fits != null ? `; batch ≤ ${fits} fits` : ''}` : ''}
        {estimate.inference ? `, ${bytesText(estimate.inference.total_bytes)} for one inference step` : ''};{' '}
        {formatShort(estimate.total_macs)} multiply-accumulates per sample
      </p>
      {tooBig && (
        <p className="tr-bad small" data-testid="memory-warning">
          Will not fit on {gpu.label}, the largest GPU of the workers:{' '}
          {fits ? `batch ≤ ${fits} fits. ` : 'not even at batch 1. '}
          {fits ? (
            <button className="small" data-testid="use-batch" onClick={() => setForm({ batchSize: fits })}>
              Use batch {fits}
            </button>
          ) : null}
        </p>
      )}
    </>
  );
}

function DatasetCheckView() {
  const check = useTraining((s) => s.check);
  const root = useEditor((s) => s.root);
  const inputs = root.nodes.filter((n) => n.type === 'Input');
  const outputs = root.nodes.filter((n) => n.type === 'Output');
  const answer = check.kind === 'done' ? check.answer : undefined;
  const info = answer?.dataset;
  return (
    <div className="tr-check" data-testid="dataset-check">
      {info && (
        <dl className="tr-io">
          <dt>Inputs</dt>
          <dd>
            {inputs.map((n) => `${n.name || n.id} ${shapeText(n.params.shape)}`).join(', ') || '—'}
            <span className="muted" data-testid="dataset-inputs">
              {' '}
              ←{' '}
              {feedText(
                info,
                inputs.map((n) => n.name || n.id),
                info.inputs,
              )}
            </span>
          </dd>
          <dt>Outputs</dt>
          <dd>
            {outputs.map((n) => `${n.name || n.id}${n.params.loss ? ` (${String(n.params.loss)})` : ''}`).join(', ') ||
              '—'}
            <span className="muted" data-testid="dataset-targets">
              {' '}
              ←{' '}
              {feedText(
                info,
                outputs.map((n) => n.name || n.id),
                info.targets,
              )}
            </span>
          </dd>
        </dl>
      )}
      {check.kind === 'checking' && (
        <p className="muted small">
          Checking the data set against the model…
          <span className="spinner" />
        </p>
      )}
      {check.kind === 'error' && <p className="tr-bad small">Check failed: {check.message}</p>}
      {answer?.fits && (
        <p className="tr-good small" data-testid="dataset-fits">
          ✓ The data set fits the model
        </p>
      )}
      {answer && !answer.fits && (
        <ul className="tr-problems" data-testid="dataset-problems">
          {answer.errors.map((p, i) => (
            <li key={i}>
              {p.node && (
                <a onClick={() => useEditor.getState().focusNode(p.node!)} title="Show this node">
                  {p.node}
                </a>
              )}
              {p.node && ': '}
              {p.message}
              {p.fixes?.map((fix) => (
                <FixButton key={fix.label} fix={fix} checked={check.graph} />
              ))}
            </li>
          ))}
          {!answer.errors.length && !answer.graph_valid && <li>The graph has errors (see Problems).</li>}
        </ul>
      )}
    </div>
  );
}

export function SettingsPane() {
  const form = useTraining((s) => s.form);
  const optimizers = useTraining((s) => s.optimizers);
  const bounds = useTraining((s) => s.bounds);
  const datasets = useTraining((s) => s.datasets);
  const datasetsError = useTraining((s) => s.datasetsError);
  const check = useTraining((s) => s.check);
  const starting = useTraining((s) => s.starting);
  const startProblems = useTraining((s) => s.startProblems);
  const root = useEditor((s) => s.root);
  const validation = useEditor((s) => (s.path.length === 0 && s.validatedGraph === s.root ? s.validation : null));

  const blocker = startBlocker({ graph: root, validation, dataset: form.dataset, check, starting, form, bounds });
  const selected = datasets.find((d) => d.name === form.dataset);
  const builtin = datasets.filter((d) => d.kind === 'builtin' || d.kind === 'generated');
  const uploaded = datasets.filter((d) => d.kind !== 'builtin' && d.kind !== 'generated');

  return (
    <section className="tr-settings" data-testid="training-settings">
      <label className="tr-field">
        <span>Data set</span>
        <div className="tr-row">
          <select
            value={form.dataset}
            onChange={(e) => setForm({ dataset: e.target.value })}
            data-testid="dataset-select"
          >
            {!datasets.length && <option value="">(loading…)</option>}
            <optgroup label="Built in">
              {builtin.map((d) => (
                <option key={d.name} value={d.name}>
                  {d.name}
                </option>
              ))}
            </optgroup>
            {uploaded.length > 0 && (
              <optgroup label="Uploaded">
                {uploaded.map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.name}
                  </option>
                ))}
              </optgroup>
            )}
          </select>
          <DatasetUpload />
        </div>
      </label>
      {datasetsError && <p className="tr-bad small">{datasetsError}</p>}
      {selected && (
        <p className="muted small tr-desc" title={selected.description}>
          {selected.description}
          {selected.samples && !/samples/.test(selected.description)
            ? ` · ${selected.samples.toLocaleString()} samples`
            : ''}
        </p>
      )}
      <DatasetCheckView />

      <div className="tr-grid">
        <label className="tr-field">
          <span>Optimizer</span>
          <select
            value={form.optimizer}
            onChange={(e) => {
              // a new optimizer starts at its own default learning rate
              const picked = optimizers.find((o) => o.name === e.target.value);
              setForm({ optimizer: e.target.value, ...(picked ? { learningRate: picked.learning_rate } : {}) });
            }}
            data-testid="optimizer-select"
          >
            {(optimizers.length ? optimizers.map((o) => o.name) : [form.optimizer]).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {NUMBER_SETTINGS.map((f) => (
          <NumberField
            key={f.field}
            label={f.label}
            value={form[f.field]}
            step={f.step}
            bounds={bounds[f.setting]}
            testId={f.testId}
            onChange={(v) => setForm({ [f.field]: v })}
          />
        ))}
      </div>
      <MemoryEstimate />
      <label
        className="tr-check small"
        title="Weight and gradient norms, activations and dead units per node at epoch ends (the first, the last, and others within 2 % of the fit time); colours the graph"
      >
        <input
          type="checkbox"
          checked={form.layerStats}
          onChange={(e) => setForm({ layerStats: e.target.checked })}
          data-testid="layer-stats"
        />
        Layer statistics (colour the graph by them)
      </label>

      <button
        className="primary tr-start"
        disabled={!!blocker}
        onClick={() => void startRun()}
        data-testid="start-run"
        title={blocker ?? 'Train this model'}
      >
        ▶ Start training
      </button>
      {blocker && (
        <p className="muted small" data-testid="start-blocker">
          {blocker}
        </p>
      )}
      {startProblems.length > 0 && (
        <ul className="tr-problems" data-testid="start-problems">
          {startProblems.map((p, i) => (
            <li key={i}>
              {p.node ? `${p.node}: ` : ''}
              {p.param ? `${p.param}: ` : ''}
              {p.message}
              {p.fixes?.map((fix) => (
                <FixButton key={fix.label} fix={fix} checked={check.graph} />
              ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
