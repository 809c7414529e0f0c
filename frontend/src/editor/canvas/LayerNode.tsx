/** One layer on the canvas: type, name, key params, output shape(s), params, problems. */
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo, type CSSProperties } from 'react';
import { formatCount, formatShort, type LayerFlowNode } from './flow';
import { NODE_WIDTH } from './nodeSize';
import { useEditor } from '../store/editor';
import { toggleBlock, toggleOpenModel } from '../store/commands';
import { categoryColour } from './colours';
import { useSweeps } from '../../experiments/sweepStore';
import { searchedParams } from '../searchDims';

function portLeft(i: number, n: number): string {
  return `${((i + 1) / (n + 1)) * 100}%`;
}

/** Low to high along the dashboard's legend: blue, green, yellow, red. */
export function heatColour(heat: number): string {
  return `hsl(${Math.round((1 - heat) * 220)}, 75%, 48%)`;
}

const DIFF_BADGES = { added: 'added', removed: 'removed', changed: 'changed', same: null } as const;

function LayerNodeView({ id, data, selected }: NodeProps<LayerFlowNode>) {
  const overlaid = useEditor((s) => (s.errorOverlay ?? s.overlay)?.nodes.get(id));
  const mark = data.diff ? undefined : overlaid; // a diff shows another graph: no run's colouring
  const diff = data.diff;
  // the parameters a sweep will search (a diff shows another graph: none)
  const searched = useSweeps((s) => (diff ? '' : searchedParams(Object.keys(s.dimensions), id).join(', ')));
  const hasError = data.errors.length > 0;
  const cls = [
    'layer-node',
    hasError ? 'has-error' : '',
    data.warnings.length && !hasError ? 'has-warning' : '',
    selected ? 'selected' : '',
    data.shared === 'call' ? 'is-call' : '',
    mark ? 'has-stat' : '',
    diff ? `diff-${diff.kind}` : '',
    data.trainable ? '' : 'is-frozen',
  ].join(' ');
  const style = mark
    ? ({ ...categoryColour(data.colour), '--stat-colour': heatColour(mark.heat) } as CSSProperties)
    : categoryColour(data.colour);
  return (
    <div
      className={cls}
      style={style}
      data-testid={`node-${id}`}
      data-type={data.type}
      title={diff?.notes.length ? diff.notes.join('\n') : undefined}
    >
      {Array.from({ length: data.inputs }, (_, i) => (
        <Handle
          key={`in-${i}`}
          id={`in-${i}`}
          type="target"
          position={Position.Top}
          style={{ left: portLeft(i, data.inputs) }}
          className="port port-in"
          title={data.inputNames?.[i] ?? (data.inputs > 1 ? `input ${i}` : 'input')}
        >
          {data.inputs > 1 && (
            // every other label a row higher, each as wide as two ports apart: they never overlap
            <span
              className={`port-label${i % 2 ? ' port-label-alt' : ''}`}
              style={{ maxWidth: (2 * NODE_WIDTH) / (data.inputs + 1) - 4 }}
            >
              {data.inputNames?.[i] ?? i}
            </span>
          )}
        </Handle>
      ))}
      <div className="layer-head">
        <span className="layer-type">{data.inner ? `${data.type}(${data.inner})` : data.type}</span>
        {data.shared && (
          <span
            className="badge badge-shared"
            title={
              data.shared === 'call'
                ? 'Another call of a shared layer (same weights)'
                : 'Shared layer: called several times'
            }
          >
            ⇄ {data.sharedCount}×
          </span>
        )}
        {!data.trainable && (
          <span
            className="badge badge-frozen"
            data-testid="node-frozen"
            title="Frozen: its weights do not train"
            aria-label="frozen"
          >
            ❄
          </span>
        )}
        {data.trainingOnly && (
          <span
            className="badge badge-training-only"
            data-testid="node-training-only"
            title="Training only: a random augmentation, the identity at inference (Keras calls it with training=False)"
          >
            training only
          </span>
        )}
        {data.loaded && (
          <span
            className="badge badge-weights"
            data-testid="node-weights"
            title="Carries trained weights from the graph's weight set (a run can start from them)"
          >
            W
          </span>
        )}
        {diff && DIFF_BADGES[diff.kind] && (
          <span className={`badge badge-diff-${diff.kind}`} data-testid="node-diff">
            {DIFF_BADGES[diff.kind]}
          </span>
        )}
        {data.macs !== null && data.macs > 0 && (
          <span className="layer-macs" data-testid="node-macs" title="Multiply-accumulates for one sample">
            {formatShort(data.macs)} MAC
          </span>
        )}
      </div>
      <div className="layer-name" title={data.label}>
        {data.label}
      </div>
      {data.keyParams && <div className="layer-params">{data.keyParams}</div>}
      {searched && (
        <div className="layer-search" data-testid="node-search" title="Searched by the next sweep (Sweeps tab)">
          ⌕ {searched}
        </div>
      )}
      {diff?.kind === 'changed' && (
        <div className="layer-diff" data-testid="node-diff-notes">
          {diff.notes.map((n) => (
            <div key={n}>{n}</div>
          ))}
        </div>
      )}
      {mark && (
        <div className="layer-stat" data-testid="node-stat" data-heat={mark.heat.toFixed(2)}>
          <span className="stat-swatch" />
          {mark.text}
          {mark.flags.length > 0 && (
            <span className="badge badge-flag" data-testid="node-flag" title={mark.flags.join('\n')}>
              ⚠ {mark.flags[0].split(/ \(|:/)[0]}
              {mark.flags.length > 1 ? ` +${mark.flags.length - 1}` : ''}
            </span>
          )}
        </div>
      )}
      <div className="layer-foot">
        <span className="layer-shape" data-testid="node-shape">
          {data.shapes.length ? data.shapes.join(' ') : '…'}
        </span>
        {data.params !== null && data.params > 0 && (
          <span className="layer-count" data-testid="node-params">
            {formatCount(data.params)} p
          </span>
        )}
      </div>
      {data.subgraph && (
        <button
          className="node-open nodrag"
          onClick={(e) => {
            e.stopPropagation();
            useEditor.getState().openSubgraph(data.subgraph!);
          }}
        >
          Open {data.subgraph} ▸
        </button>
      )}
      {data.openable && (
        <button
          className="node-open nodrag"
          data-testid="model-open-in-place"
          title="Show its layers here, wired to the graph around it"
          onClick={(e) => {
            e.stopPropagation();
            void toggleOpenModel(id);
          }}
        >
          Open in place ▾
        </button>
      )}
      {data.group && (
        <button
          className="node-open nodrag"
          data-testid="block-expand"
          onClick={(e) => {
            e.stopPropagation();
            void toggleBlock(data.group!);
          }}
        >
          Expand {data.label} ▾
        </button>
      )}
      {hasError && (
        <div className="layer-error" data-testid="node-error">
          {data.errors[0]}
          {data.errors.length > 1 && <span className="muted"> (+{data.errors.length - 1} more)</span>}
        </div>
      )}
      {!hasError && data.warnings.length > 0 && <div className="layer-warning">{data.warnings[0]}</div>}
      {Array.from({ length: data.outputs }, (_, i) => (
        <Handle
          key={`out-${i}`}
          id={`out-${i}`}
          type="source"
          position={Position.Bottom}
          style={{ left: portLeft(i, data.outputs) }}
          className="port port-out"
          title={data.shapes[i] ? `output ${i}: ${data.shapes[i]}` : `output ${i}`}
        />
      ))}
      <Handle id="tie-out" type="source" position={Position.Right} className="port-tie" isConnectable={false} />
      <Handle id="tie-in" type="target" position={Position.Left} className="port-tie" isConnectable={false} />
    </div>
  );
}

export const LayerNode = memo(LayerNodeView);
