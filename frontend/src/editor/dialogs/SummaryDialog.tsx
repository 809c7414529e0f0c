/** A model.summary()-like table from POST /api/models/build. */
import { useEffect, useState } from 'react';
import { api, ApiError } from '../../api/client';
import { formatCount, formatShape, formatShort } from '../canvas/flow';
import type { BuildAnswer } from '../../api/wire';
import { graphForExport } from '../store/commands';
import { useEditor } from '../store/editor';
import { Dialog } from '../../ui/Dialog';

export function SummaryDialog({ onClose }: { onClose(): void }) {
  const [answer, setAnswer] = useState<BuildAnswer | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    api.build(graphForExport()).then(setAnswer, (e) => setError(e as ApiError));
  }, []);
  return (
    <Dialog title="Model summary" onClose={onClose} wide testid="summary-dialog">
      {error && (
        <div className="banner error">
          The model does not build:
          <ul>
            {(error.problems.length ? error.problems : [{ node: null, message: error.message }]).map((p, i) => (
              <li key={i}>
                {p.node && (
                  <a
                    onClick={() => {
                      useEditor.getState().focusNode(p.node!);
                      onClose();
                    }}
                  >
                    {p.node}
                  </a>
                )}{' '}
                {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {!answer && !error && <p className="muted">Building with Keras…</p>}
      {answer && (
        <>
          <p>
            Model type: <b>{answer.model_type}</b>
          </p>
          <table className="summary" data-testid="summary-table">
            <thead>
              <tr>
                <th>Layer (type)</th>
                <th>Output shape</th>
                <th className="num">Param #</th>
              </tr>
            </thead>
            <tbody>
              {answer.layers.map((l) => (
                <tr key={l.node + l.name}>
                  <td>
                    {l.name} <span className="muted">({l.type})</span>
                  </td>
                  <td className="mono">{l.output_shapes.map(formatShape).join(', ')}</td>
                  <td className="num">{formatCount(l.params)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <dl className="stats">
            <dt>Total params</dt>
            <dd data-testid="summary-total">{formatCount(answer.total_params ?? 0)}</dd>
            <dt>Trainable params</dt>
            <dd>{formatCount(answer.trainable_params)}</dd>
            <dt>Non-trainable params</dt>
            <dd>{formatCount(answer.non_trainable_params)}</dd>
            {answer.total_macs !== null && (
              <>
                <dt>Multiply-accumulates (one sample)</dt>
                <dd data-testid="summary-macs">{formatShort(answer.total_macs)}</dd>
              </>
            )}
          </dl>
        </>
      )}
    </Dialog>
  );
}
