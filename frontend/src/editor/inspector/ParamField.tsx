/** One inspector field, generated from a catalogue param spec. */
import { memo, useEffect, useState } from 'react';
import type { ChoiceKind, ParamKind } from '../../api/wire';
import { noOtherKind, type ParamSpec } from '../graph/types';
import { useEditor } from '../store/editor';
import { formatValue } from '../canvas/flow';
import { SearchDimension } from './SearchDimension';
import {
  listText,
  parseJson,
  parseList,
  parseNameOrJson,
  parseNumber,
  parseTuple,
  tupleText,
  type Parsed,
} from './paramText';

interface Props {
  spec: ParamSpec;
  value: unknown;
  error?: string;
  onChange(name: string, value: unknown): void;
  /** The field's own error (text it cannot send), or null once it can; shown everywhere. */
  onTextError?(name: string, message: string | null): void;
  /** Before the field's id (`param-<name>`): a wrapped layer's form is beside its wrapper's. */
  idPrefix?: string;
  /** Where a sweep would vary this parameter (a JSON Pointer), when it can be searched. */
  searchPointer?: string;
}

function textOf(spec: ParamSpec, v: unknown): string {
  if (v === undefined) return '';
  const kind: ParamKind = spec.kind;
  switch (kind) {
    case 'shape':
    case 'int_tuple':
      return tupleText(v);
    case 'list':
      return listText(v);
    case 'any':
      return JSON.stringify(v);
    case 'int':
    case 'float':
    case 'bool':
    case 'str':
    case 'dtype':
    case 'choice':
    case 'multi_choice':
    case 'activation':
    case 'initializer':
    case 'regularizer':
    case 'constraint':
      // a name, a number, or a config dict (an initializer with its arguments)
      if (v !== null && typeof v === 'object') return JSON.stringify(v);
      return v === null ? 'None' : String(v);
    default:
      noOtherKind(kind);
      return String(v);
  }
}

function parse(spec: ParamSpec, text: string): Parsed {
  const kind: ParamKind = spec.kind;
  switch (kind) {
    case 'int':
      return parseNumber(text, true, !!spec.nullable);
    case 'float':
      return parseNumber(text, false, !!spec.nullable);
    case 'shape':
      return parseTuple(text, true);
    case 'int_tuple': {
      // a single number is fine for kernel_size / strides / pool_size
      const single = parseNumber(text, true, false);
      if (single.ok && single.value !== undefined && !/[,\s]/.test(text.trim())) return single;
      return parseTuple(text, !!spec.nullable);
    }
    case 'list':
      return parseList(text);
    case 'any':
      return parseJson(text);
    case 'activation':
    case 'initializer':
    case 'regularizer':
    case 'constraint':
      return parseNameOrJson(text);
    case 'bool':
    case 'str':
    case 'dtype':
    case 'choice':
    case 'multi_choice':
      // typed as text (the checkbox and the selects send values of their own)
      if (spec.nullable && /^(none|null)$/i.test(text.trim())) return { ok: true, value: null };
      return { ok: true, value: text === '' ? undefined : text };
    default:
      noOtherKind(kind);
      return { ok: true, value: text === '' ? undefined : text };
  }
}

function ParamFieldView({ spec, value, error, onChange, onTextError, idPrefix = '', searchPointer }: Props) {
  const dtypes = useEditor((s) => s.choices.dtype);
  const [text, setText] = useState(() => textOf(spec, value));
  const [localError, setLocalError] = useState<string | null>(null);
  // follow outside changes (undo, another call site) unless the text already means that value
  useEffect(() => {
    const p = parse(spec, text);
    if (!p.ok || JSON.stringify(p.value) !== JSON.stringify(value)) {
      setText(textOf(spec, value));
      setLocalError(null);
    }
    // text is what the user types: follow only outside changes of the value
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value, spec]);

  useEffect(() => {
    onTextError?.(spec.name, localError);
  }, [onTextError, spec.name, localError]);
  // a field that goes away (another node selected) takes its unsent text with it
  useEffect(() => () => onTextError?.(spec.name, null), [onTextError, spec.name]);

  const id = `${idPrefix}param-${spec.name}`;
  const placeholder = spec.default === undefined ? (spec.required ? 'required' : '') : formatValue(spec.default);
  const label = (
    <label
      id={`${id}-label`}
      htmlFor={spec.kind === 'multi_choice' ? undefined : id}
      title={spec.description ?? undefined}
    >
      {spec.name}
      {spec.required && <span className="req">*</span>}
    </label>
  );
  const commitText = (t: string) => {
    setText(t);
    const p = parse(spec, t);
    if (p.ok) {
      setLocalError(null);
      onChange(spec.name, p.value);
    } else setLocalError(p.error);
  };
  let control: React.ReactNode;
  const choices = spec.choices?.length ? spec.choices : spec.kind === 'dtype' ? (dtypes ?? null) : null;

  if (spec.kind === 'bool') {
    const checked = (value ?? spec.default) === true;
    control = (
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(spec.name, e.target.checked)} />
    );
  } else if (spec.kind === 'multi_choice') {
    const options = (spec.choices ?? []).map(String);
    const source = Array.isArray(value) ? value : Array.isArray(spec.default) ? spec.default : [];
    const picked = new Set(source.map(String));
    const toggle = (name: string, on: boolean) =>
      onChange(
        spec.name,
        options.filter((o) => (o === name ? on : picked.has(o))),
      );
    control = (
      <div id={id} role="group" aria-labelledby={`${id}-label`} className="multi-choice">
        {options.map((name) => (
          <label key={name} className="multi-choice-item">
            <input type="checkbox" checked={picked.has(name)} onChange={(e) => toggle(name, e.target.checked)} />
            {name}
          </label>
        ))}
      </div>
    );
  } else if (choices) {
    const current = value === undefined ? '' : JSON.stringify(value);
    control = (
      <select
        id={id}
        value={current}
        onChange={(e) => onChange(spec.name, e.target.value === '' ? undefined : JSON.parse(e.target.value))}
      >
        <option value="">{spec.default !== undefined ? `default (${formatValue(spec.default)})` : '—'}</option>
        {choices.map((c) => (
          <option key={JSON.stringify(c)} value={JSON.stringify(c)}>
            {formatValue(c)}
          </option>
        ))}
      </select>
    );
  } else {
    const list = SUGGESTED.includes(spec.kind as ChoiceKind) ? `lf-${spec.kind}` : undefined;
    control = (
      <input
        id={id}
        type="text"
        inputMode={spec.kind === 'int' || spec.kind === 'float' ? 'decimal' : undefined}
        value={text}
        placeholder={placeholder}
        list={list}
        spellCheck={false}
        onChange={(e) => commitText(e.target.value)}
      />
    );
  }
  const shown = localError ?? error;
  return (
    <div className={`field ${shown ? 'field-error' : ''}`} data-testid={`field-${spec.name}`}>
      {label}
      {control}
      {shown && (
        <div className="field-message" data-testid="field-error">
          {shown}
        </div>
      )}
      {searchPointer && <SearchDimension pointer={searchPointer} spec={spec} value={value} />}
    </div>
  );
}

export const ParamField = memo(ParamFieldView);

/** Free-text kinds that suggest the server's names (a config dict is allowed too). */
const SUGGESTED: ChoiceKind[] = ['activation', 'initializer', 'regularizer', 'constraint'];

/** Datalists the free-text fields suggest from (rendered once in the inspector). */
export function ParamDatalists() {
  const choices = useEditor((s) => s.choices);
  return (
    <>
      {SUGGESTED.map((kind) => (
        <datalist key={kind} id={`lf-${kind}`}>
          {(choices[kind] ?? []).map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
      ))}
    </>
  );
}
