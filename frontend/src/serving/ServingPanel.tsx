/**
 * A succeeded run's way out: export for serving (SavedModel, ONNX, LiteRT, optionally
 * quantized) with the parity report the server ran in the format's own runtime and the
 * file to download; a quantized export's per-node error drawn on the graph; and the
 * second step of the classic recipe, "fine-tune" (this run's weights, the top frozen
 * nodes unfrozen, the learning rate times a factor).
 */
import { useState } from 'react';
import { trainingApi } from '../training/api';
import { refreshRuns, runOfThisGraph, viewRun } from '../training/store';
import { useEditor } from '../editor/store/editor';
import { experimentsApi, type ServingExportRequest, type ServingReport } from '../experiments/api';
import { formatValue } from '../experiments/overlay';
import { setLayerErrors, showLayerErrors } from './layerErrors';

const FORMATS: [ServingExportRequest['format'], string][] = [
  ['saved_model', 'SavedModel'],
  ['onnx', 'ONNX'],
  ['litert', 'LiteRT'],
];

function Report({ runId, r }: { runId: string; r: ServingReport }) {
  const errors = r.layer_errors ?? null;
  const ofThisGraph = runOfThisGraph(runId);
  const worst = Object.entries(errors ?? {}).sort((a, b) => b[1].relative - a[1].relative);
  return (
    <div data-testid="parity-report">
      <p className="small">
        <a href={trainingApi.artifactUrl(runId, r.artifact)} download data-testid="export-download">
          {r.artifact}
        </a>{' '}
        · {(r.bytes / 1024).toFixed(1)} KiB · exported in {r.export_s.toFixed(1)} s · checked by {r.runtime} on{' '}
        {r.samples} {r.split} samples of {r.dataset}
        {r.quantized_by && ` · quantized by ${r.quantized_by}`}
      </p>
      <table className="xp-table small">
        <thead>
          <tr>
            <th>output</th>
            <th>max abs diff</th>
            <th>mean abs diff</th>
            <th>top-1 agreement</th>
            <th>accuracy (Keras)</th>
            <th>accuracy (exported)</th>
          </tr>
        </thead>
        <tbody>
          {r.outputs.map((o) => (
            <tr key={o.name} data-testid="parity-output">
              <td>{o.name}</td>
              <td className="mono" data-testid="parity-max">
                {formatValue(o.max_abs_diff)}
              </td>
              <td className="mono">{formatValue(o.mean_abs_diff)}</td>
              <td className="mono" data-testid="parity-top1">
                {o.top1_agreement === null || o.top1_agreement === undefined
                  ? '–'
                  : `${(o.top1_agreement * 100).toFixed(1)} %`}
              </td>
              <td className="mono">{formatValue(o.accuracy_keras ?? null)}</td>
              <td className="mono">{formatValue(o.accuracy_exported ?? null)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {errors && (
        <div className="small" data-testid="layer-errors">
          <div className="xp-section">Error per layer against the float model</div>
          {worst.map(([id, e]) => (
            <div key={id} className="mono">
              <a onClick={() => useEditor.getState().focusNode(id)}>{id}</a>: {(e.relative * 100).toPrecision(2)} % (max
              abs {e.max_abs.toPrecision(2)})
            </div>
          ))}
          {ofThisGraph ? (
            <button className="small" onClick={() => showLayerErrors(errors)} data-testid="show-layer-errors">
              Colour the graph by this error
            </button>
          ) : (
            <p className="muted">This run trained another graph: open its graph to see the error on its nodes.</p>
          )}
        </div>
      )}
    </div>
  );
}

function FineTune({ runId }: { runId: string }) {
  const [unfreezeTop, setUnfreezeTop] = useState(0);
  const [factor, setFactor] = useState(0.1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const run = await experimentsApi.fineTune(runId, { unfreeze_top: unfreezeTop, learning_rate_factor: factor });
      await refreshRuns();
      viewRun(run.id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="fine-tune">
      <div className="xp-section">Fine-tune from this run</div>
      <div className="xp-controls small">
        <label title="How many of the frozen nodes with weights, counted back from the outputs, become trainable">
          unfreeze the top{' '}
          <input
            type="number"
            min={0}
            value={unfreezeTop}
            onChange={(e) => setUnfreezeTop(Number(e.target.value))}
            style={{ width: 60 }}
            data-testid="fine-tune-unfreeze"
          />{' '}
          frozen nodes
        </label>
        <label>
          learning rate ×{' '}
          <input
            type="number"
            step="any"
            min={0}
            value={factor}
            onChange={(e) => setFactor(Number(e.target.value))}
            style={{ width: 70 }}
            data-testid="fine-tune-factor"
          />
        </label>
        <button className="small" onClick={() => void start()} disabled={busy} data-testid="fine-tune-start">
          {busy ? 'Starting…' : 'Fine-tune'}
        </button>
      </div>
      {error && <p className="tr-bad small">{error}</p>}
    </div>
  );
}

export default function ServingPanel({ runId }: { runId: string }) {
  const [format, setFormat] = useState<ServingExportRequest['format']>('onnx');
  const [quantize, setQuantize] = useState<ServingExportRequest['quantize']>(null);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState<ServingReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await experimentsApi.exportForServing(runId, { format, quantize });
      setReport(r);
      setLayerErrors(runId, r.layer_errors ?? null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="serving">
      <div className="xp-section">Export for serving</div>
      <div className="xp-controls small">
        <label>
          format{' '}
          <select
            value={format}
            onChange={(e) => setFormat(e.target.value as ServingExportRequest['format'])}
            data-testid="export-format"
          >
            {FORMATS.map(([f, label]) => (
              <option key={f} value={f}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          quantize{' '}
          <select
            value={quantize ?? ''}
            onChange={(e) => setQuantize((e.target.value || null) as ServingExportRequest['quantize'])}
            data-testid="export-quantize"
          >
            <option value="">no (float32)</option>
            <option value="int8">int8</option>
            <option value="float16">float16 (LiteRT)</option>
          </select>
        </label>
        <button className="small" onClick={() => void run()} disabled={busy} data-testid="export-start">
          {busy ? 'Exporting and checking…' : 'Export'}
        </button>
      </div>
      {error && (
        <p className="tr-bad small" data-testid="export-error">
          {error}
        </p>
      )}
      {report && <Report runId={runId} r={report} />}
      <FineTune runId={runId} />
    </div>
  );
}
