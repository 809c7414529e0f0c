import { useState } from 'react';
import type { Dimension } from './api';
import { dimensionOf, fieldsOf, kindOf, type DimensionKind } from './sweepForm';
import { addSweepDimension } from './sweepStore';

/**
 * A search dimension being edited, for the sweep form's rows and the inspector's search
 * toggle alike: its kind and text fields as typed, what they parse to (a dimension, or a
 * message saying what is wrong), and `change`, which stores each edit that parses.
 */
export function useDimensionDraft(pointer: string, dim: Dimension) {
  const [kind, setKind] = useState<DimensionKind>(kindOf(dim));
  const [fields, setFields] = useState(() => fieldsOf(dim));
  const change = (k: DimensionKind, f: typeof fields) => {
    setKind(k);
    setFields(f);
    const d = dimensionOf(k, f);
    if (typeof d !== 'string') addSweepDimension(pointer, d);
  };
  return { kind, fields, parsed: dimensionOf(kind, fields), change };
}
