/** The right-hand inspector: the selected node's form, or the graph's settings. */
import { lazy, Suspense, useCallback, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { formatCount } from '../canvas/flow';
import { callSites, ownerOf, setParam, updateNode } from '../graph/transforms';
import type { GraphNode, InnerLayer, LayerSpec, Problem } from '../graph/types';
import { callLayerAgain, deleteSelection, freezeSelection, freezeUpToNode, groupSelection } from '../store/commands';
import { paramCounts } from '../graph/freeze';
import { nodesWithWeights, weightsOf, withWeights } from '../graph/weights';
import { formatShape, formatShort } from '../canvas/flow';
import { checkedAnswer, currentGraph, useEditor } from '../store/editor';
import { ParamDatalists, ParamField } from './ParamField';
import { ErrorColouringPanel } from './ErrorColouringPanel';
import { paramPointer } from '../searchDims';

// they read the training store: loaded when such a node is selected
const AugmentPanel = lazy(() => import('./AugmentPanel'));
const AdaptedPanel = lazy(() => import('./AdaptedPanel'));

function GraphSettings() {
  const graph = useEditor((s) => currentGraph(s));
  const path = useEditor((s) => s.path);
  const v = useEditor((s) => s.validation);
  const counts = paramCounts(graph, v);
  return (
    <div className="inspector-body">
      <h2>{path.length ? `Model “${path[path.length - 1]}”` : 'Model'}</h2>
      {!path.length && (
        <div className="field">
          <label htmlFor="graph-name">name</label>
          <input
            id="graph-name"
            value={graph.name ?? ''}
            onChange={(e) => useEditor.getState().edit((g) => ({ ...g, name: e.target.value }), 'graph-name')}
          />
        </div>
      )}
      <div className="field">
        <label htmlFor="graph-type">model type</label>
        <select
          id="graph-type"
          value={graph.model_type}
          onChange={(e) =>
            useEditor.getState().edit((g) => ({ ...g, model_type: e.target.value as typeof g.model_type }))
          }
        >
          <option value="auto">auto (Sequential when a plain chain)</option>
          <option value="sequential">Sequential</option>
          <option value="functional">Functional</option>
        </select>
      </div>
      <dl className="stats">
        <dt>Nodes</dt>
        <dd>{graph.nodes.length}</dd>
        <dt>Edges</dt>
        <dd>{graph.edges.length}</dd>
        <dt>Built as</dt>
        <dd>{v?.model_type ?? '—'}</dd>
        <dt>Total params</dt>
        <dd data-testid="inspector-total-params">{counts ? formatCount(counts.total) : '—'}</dd>
        <dt>Trainable params</dt>
        <dd data-testid="inspector-trainable-params">{counts ? formatCount(counts.trainable) : '—'}</dd>
        <dt>Non-trainable params</dt>
        <dd data-testid="inspector-non-trainable-params">{counts ? formatCount(counts.nonTrainable) : '—'}</dd>
      </dl>
      {!path.length && <WeightSet />}
      {!path.length && <ErrorColouringPanel />}
      <p className="muted small">
        Select a node to edit it. Shift-drag to select several; right-click a node for more.
      </p>
    </div>
  );
}

/** The graph's weight set (imported with it): what it holds, and forgetting it. */
function WeightSet() {
  const root = useEditor((s) => s.root);
  const set = weightsOf(root);
  if (!set) return null;
  const carried = nodesWithWeights(root).size;
  return (
    <div className="banner info small" data-testid="weight-set" data-weights-id={set.id}>
      Weights: <b>{set.name}</b> ({formatShort(set.bytes)}B, {set.layers.length} layers; {carried} nodes here carry
      them, marked W): a run can start from them.{' '}
      <button
        className="ghost small"
        onClick={() => useEditor.getState().edit((g) => withWeights(g, null))}
        data-testid="weight-set-forget"
      >
        Start from fresh weights instead
      </button>
    </div>
  );
}

function ParamsForm(props: {
  spec: LayerSpec | undefined;
  params: Record<string, unknown>;
  errors: Map<string, string>;
  onChange(name: string, value: unknown): void;
  onTextError?(name: string, message: string | null): void;
  idPrefix?: string;
  /** The node whose parameters a sweep may search (the layer's owner), if they can be. */
  searchNode?: string;
}) {
  const { spec, params, errors, onChange, onTextError, idPrefix, searchNode } = props;
  if (!spec) return <p className="muted">Unknown layer type: no form.</p>;
  const key = new Set(spec.key_params ?? []);
  const shown = spec.params.filter((p) => p.name !== 'subgraph');
  const main = shown.filter((p) => p.required || key.has(p.name) || params[p.name] !== undefined);
  const rest = shown.filter((p) => !main.includes(p));
  return (
    <>
      {main.map((p) => (
        <ParamField
          key={p.name}
          spec={p}
          value={params[p.name]}
          error={errors.get(p.name)}
          onChange={onChange}
          onTextError={onTextError}
          idPrefix={idPrefix}
          searchPointer={searchNode ? paramPointer(searchNode, p.name) : undefined}
        />
      ))}
      {rest.length > 0 && (
        <details className="more-params" open={rest.some((p) => errors.has(p.name))}>
          <summary>{rest.length} more parameters</summary>
          {rest.map((p) => (
            <ParamField
              key={p.name}
              spec={p}
              value={params[p.name]}
              error={errors.get(p.name)}
              onChange={onChange}
              onTextError={onTextError}
              idPrefix={idPrefix}
              searchPointer={searchNode ? paramPointer(searchNode, p.name) : undefined}
            />
          ))}
        </details>
      )}
    </>
  );
}

function WrapperInner({ node, owner }: { node: GraphNode; owner: GraphNode }) {
  const catalogue = useEditor((s) => s.catalogue);
  const specs = useEditor((s) => s.specs);
  // a new array each call: compared item by item, or every store update renders again (React #185)
  const subgraphs = useEditor(useShallow((s) => Object.keys(s.root.subgraphs)));
  const inner = owner.inner ?? null;
  const setInner = (next: InnerLayer | null) =>
    useEditor.getState().edit((g) => updateNode(g, node.id, { inner: next }), `inner:${node.id}`);
  const choices = catalogue.filter((l) => !['io', 'wrappers'].includes(l.category) && l.type !== 'Model');
  const innerSpec = inner ? specs.get(inner.type) : undefined;
  return (
    <fieldset className="inner">
      <legend>Wrapped layer</legend>
      <div className="field">
        <label htmlFor="inner-type">layer</label>
        <select
          id="inner-type"
          value={inner ? (inner.type === 'Model' ? `Model:${inner.params?.subgraph}` : inner.type) : ''}
          onChange={(e) => {
            const v = e.target.value;
            if (!v) setInner(null);
            else if (v.startsWith('Model:')) setInner({ type: 'Model', params: { subgraph: v.slice(6) } });
            else setInner({ type: v, params: {} });
          }}
        >
          <option value="">— choose —</option>
          {subgraphs.length > 0 && (
            <optgroup label="Models in this graph">
              {subgraphs.map((s) => (
                <option key={s} value={`Model:${s}`}>
                  {s}
                </option>
              ))}
            </optgroup>
          )}
          <optgroup label="Layers">
            {choices.map((l) => (
              <option key={l.type} value={l.type}>
                {l.type}
              </option>
            ))}
          </optgroup>
        </select>
      </div>
      {inner && inner.type !== 'Model' && (
        <ParamsForm
          spec={innerSpec}
          params={inner.params ?? {}}
          errors={new Map()}
          idPrefix="inner-"
          onChange={(name, value) => {
            const params = { ...(inner.params ?? {}) };
            if (value === undefined) delete params[name];
            else params[name] = value;
            setInner({ ...inner, params });
          }}
        />
      )}
    </fieldset>
  );
}

function NodeInspector({ id }: { id: string }) {
  const graph = useEditor((s) => currentGraph(s));
  const path = useEditor((s) => s.path);
  const specs = useEditor((s) => s.specs);
  const validation = useEditor(checkedAnswer);
  const node = graph.nodes.find((n) => n.id === id);
  const owner = node ? (ownerOf(graph, id) ?? node) : undefined;
  const spec = owner ? specs.get(owner.type) : undefined;
  const problems = useMemo(() => (validation?.errors ?? []).filter((p) => p.node === id), [validation, id]);
  const warnings = useMemo(() => (validation?.warnings ?? []).filter((p) => p.node === id), [validation, id]);
  const paramErrors = useMemo(
    () => new Map(problems.filter((p) => p.param).map((p) => [p.param!, p.message])),
    [problems],
  );
  const onChange = useCallback(
    (name: string, value: unknown) =>
      useEditor.getState().edit((g) => setParam(g, id, name, value), `param:${id}:${name}`),
    [id],
  );
  const onTextError = useCallback(
    (name: string, message: string | null) => useEditor.getState().setFieldError(id, name, message),
    [id],
  );
  if (!node || !owner) return null;
  const report = validation?.nodes[id];
  const sites = callSites(graph, id);
  const unplaced: Problem[] = problems.filter((p) => !p.param || !spec?.params.some((s) => s.name === p.param));
  const isWrapper = spec?.category === 'wrappers' || !!owner.inner;
  return (
    <div className="inspector-body" data-testid="inspector-node">
      <div className="inspector-title">
        <span className={`dot cat-${spec?.category ?? 'unknown'}`} />
        <h2>{owner.type}</h2>
        <code className="muted">{node.id}</code>
      </div>
      {spec && <p className="muted small">{spec.description}</p>}
      {unplaced.map((p, i) => (
        <div key={i} className="banner error small" data-testid="inspector-error">
          {p.param ? `${p.param}: ` : ''}
          {p.message}
        </div>
      ))}
      {warnings.map((p, i) => (
        <div key={i} className="banner warning small">
          {p.message}
        </div>
      ))}
      {sites.length > 1 && (
        <div className="banner info small" data-testid="shared-note">
          Shared layer: {sites.length} calls ({sites.map((s) => s.id).join(', ')}) use the same weights.
          {node.shared_with ? (
            <>
              {' '}
              Its parameters live on{' '}
              <a onClick={() => useEditor.getState().focusNode(node.shared_with!)}>{node.shared_with}</a>; edits here
              change every call.
            </>
          ) : (
            ' Edits here change every call.'
          )}
        </div>
      )}
      <div className="field">
        <label htmlFor="node-name">name</label>
        <input
          id="node-name"
          value={node.name ?? ''}
          placeholder={node.id}
          onChange={(e) => useEditor.getState().edit((g) => updateNode(g, id, { name: e.target.value }), `name:${id}`)}
        />
      </div>
      {report && (
        <dl className="stats">
          <dt>Output</dt>
          <dd className="mono" data-testid="inspector-shape">
            {(report.output_shapes ?? []).map(formatShape).join(' ') || '—'}
          </dd>
          <dt>Params</dt>
          <dd data-testid="inspector-params">{formatCount(report.params ?? 0)}</dd>
          {report.non_trainable_params > 0 && (
            <>
              <dt>Trainable</dt>
              <dd data-testid="inspector-trainable">{formatCount(report.trainable_params)}</dd>
              <dt>Non-trainable</dt>
              <dd data-testid="inspector-non-trainable">{formatCount(report.non_trainable_params)}</dd>
            </>
          )}
        </dl>
      )}
      {isWrapper && <WrapperInner node={node} owner={owner} />}
      <ParamsForm
        spec={spec}
        params={owner.params}
        errors={paramErrors}
        onChange={onChange}
        onTextError={onTextError}
        searchNode={path.length || owner.type === 'Input' || owner.type === 'Output' ? undefined : owner.id}
      />
      <Suspense fallback={null}>
        {spec?.training_only && !path.length && <AugmentPanel />}
        {!!spec?.adapt_state?.length && !path.length && <AdaptedPanel nodeId={owner.id} />}
      </Suspense>
      {owner.type !== 'Input' && owner.type !== 'Output' && (
        <div className="field inline">
          <input
            id="node-trainable"
            type="checkbox"
            checked={node.trainable !== false}
            onChange={(e) => useEditor.getState().edit((g) => updateNode(g, id, { trainable: e.target.checked }))}
          />
          <label htmlFor="node-trainable">trainable</label>
          <button
            className="ghost small"
            onClick={() => freezeUpToNode(id)}
            data-testid="freeze-up-to"
            title="Freeze this layer and every layer it is computed from"
          >
            Freeze everything up to here
          </button>
        </div>
      )}
      <div className="button-row">
        {owner.type !== 'Input' && owner.type !== 'Output' && (
          <button onClick={() => callLayerAgain(id)} data-testid="call-again">
            Call again
          </button>
        )}
        <button onClick={() => groupSelection()}>Group into model</button>
        <button className="danger" onClick={deleteSelection}>
          Delete
        </button>
      </div>
    </div>
  );
}

export function Inspector() {
  const selection = useEditor((s) => s.selection);
  return (
    <aside className="inspector" data-testid="inspector">
      <ParamDatalists />
      {selection.length === 1 ? (
        <NodeInspector key={selection[0]} id={selection[0]} />
      ) : selection.length > 1 ? (
        <div className="inspector-body">
          <h2>{selection.length} nodes selected</h2>
          <div className="button-row">
            <button onClick={() => freezeSelection(true)} data-testid="freeze-selection">
              Freeze
            </button>
            <button onClick={() => freezeSelection(false)} data-testid="unfreeze-selection">
              Unfreeze
            </button>
            <button onClick={() => groupSelection()} data-testid="group-selection">
              Group into model
            </button>
            <button className="danger" onClick={deleteSelection}>
              Delete
            </button>
          </div>
        </div>
      ) : (
        <GraphSettings />
      )}
    </aside>
  );
}
