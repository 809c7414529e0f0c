/**
 * Mark a node parameter as a search dimension of the next sweep: a range (linear or log),
 * an integer range or choices, kept in the sweep store by its JSON Pointer
 * (`/graph/nodes/<id>/params/<name>`); the Sweeps page's form lists it, the node shows
 * a badge. The first range is a guess around the current value.
 */
import type { ParamSpec } from '../graph/types';
import { addSweepDimension, removeSweepDimension, useSweeps } from '../../experiments/sweepStore';
import { DIMENSION_KINDS, defaultDimension, type DimensionKind } from '../../experiments/sweepForm';
import { useDimensionDraft } from '../../experiments/useDimensionDraft';
import type { Dimension } from '../../experiments/api';

/** A first dimension for a parameter: numbers around the value, the catalogue's choices, or the value itself. */
export function firstDimension(pointer: string, spec: ParamSpec, value: unknown): Dimension {
  if (spec.choices?.length) return { choices: spec.choices };
  if (spec.kind === 'bool') return { choices: [true, false] };
  const d = defaultDimension(pointer, value);
  // a number parameter whose current value guesses no range: its bounds, or a start
  if ((spec.kind === 'int' || spec.kind === 'float') && d.choices === undefined && d.low === 0 && d.high === 1)
    return spec.kind === 'int'
      ? { low: spec.min ?? 1, high: spec.max ?? 64, step: 1 }
      : { low: spec.min ?? 0, high: spec.max ?? 1 };
  return d;
}

function DimensionEditor({ pointer, dim }: { pointer: string; dim: Dimension }) {
  const { kind, fields, parsed, change } = useDimensionDraft(pointer, dim);
  const num = (name: 'low' | 'high' | 'step') => (
    <input
      type="number"
      step="any"
      aria-label={name}
      value={fields[name]}
      onChange={(e) => change(kind, { ...fields, [name]: e.target.value })}
      data-testid={`search-${name}`}
    />
  );
  return (
    <div className="search-dim" data-testid="search-dim" data-pointer={pointer}>
      <select
        aria-label="search as"
        value={kind}
        onChange={(e) => change(e.target.value as DimensionKind, fields)}
        data-testid="search-kind"
      >
        {DIMENSION_KINDS.map(([k, label]) => (
          <option key={k} value={k}>
            {label}
          </option>
        ))}
      </select>
      {kind === 'choices' ? (
        <input
          type="text"
          aria-label="choices (comma-separated)"
          value={fields.choices}
          onChange={(e) => change(kind, { ...fields, choices: e.target.value })}
          data-testid="search-choices"
        />
      ) : (
        <>
          {num('low')}
          <span className="muted">to</span>
          {num('high')}
          {kind === 'int' && (
            <>
              <span className="muted">step</span>
              {num('step')}
            </>
          )}
        </>
      )}
      {typeof parsed === 'string' && (
        <div className="field-message" data-testid="search-error">
          {parsed}
        </div>
      )}
    </div>
  );
}

export function SearchDimension({ pointer, spec, value }: { pointer: string; spec: ParamSpec; value: unknown }) {
  const dim = useSweeps((s) => s.dimensions[pointer]);
  return (
    <>
      <button
        type="button"
        className={`search-toggle ghost small${dim ? ' on' : ''}`}
        aria-pressed={!!dim}
        title={dim ? 'Searched by the next sweep: click to stop' : 'Search this parameter in a sweep'}
        onClick={() =>
          dim
            ? removeSweepDimension(pointer)
            : addSweepDimension(pointer, firstDimension(pointer, spec, value ?? spec.default))
        }
        data-testid={`search-toggle-${spec.name}`}
      >
        {dim ? '⌕ searched' : '⌕ search'}
      </button>
      {dim && <DimensionEditor key={pointer} pointer={pointer} dim={dim} />}
    </>
  );
}
