/**
 * The number settings the training form asks for, and their ranges as the server
 * publishes them (`bounds` of GET /api/training/options, from RunSettings' own checks):
 * the inputs' min and max and the Start button's reason both read them here.
 */
import type { components } from '../api/schema';
import type { TrainForm } from './types';

export type Bounds = components['schemas']['Bounds'];
export type NumberKey = 'learningRate' | 'epochs' | 'batchSize' | 'validationSplit';

export interface NumberSetting {
  field: NumberKey;
  /** Its name in RunSettings (the key of its bounds). */
  setting: string;
  label: string;
  step: number;
  whole: boolean;
  testId: string;
}

export const NUMBER_SETTINGS: NumberSetting[] = [
  {
    field: 'learningRate',
    setting: 'learning_rate',
    label: 'Learning rate',
    step: 0.0001,
    whole: false,
    testId: 'learning-rate',
  },
  { field: 'epochs', setting: 'epochs', label: 'Epochs', step: 1, whole: true, testId: 'epochs' },
  { field: 'batchSize', setting: 'batch_size', label: 'Batch size', step: 1, whole: true, testId: 'batch-size' },
  {
    field: 'validationSplit',
    setting: 'validation_split',
    label: 'Validation split',
    step: 0.05,
    whole: false,
    testId: 'validation-split',
  },
];

/** The input's min and max (an exclusive bound one step inside). */
export function inputRange(b: Bounds | undefined, step: number): { min?: number; max?: number } {
  if (!b) return {};
  const min = b.minimum ?? undefined;
  const max = b.maximum ?? undefined;
  return {
    min: min !== undefined && b.exclusive_minimum && step >= 1 ? min + step : min,
    max: max !== undefined && b.exclusive_maximum ? max - step : max,
  };
}

/** Why a value is refused, in words ("Learning rate must be > 0 and ≤ 10."); null: fine. */
export function rangeProblem(s: NumberSetting, value: number, b: Bounds): string | null {
  const parts = [
    b.minimum != null ? `${b.exclusive_minimum ? '>' : '≥'} ${b.minimum}` : null,
    b.maximum != null ? `${b.exclusive_maximum ? '<' : '≤'} ${b.maximum}` : null,
  ].filter(Boolean);
  const must = `${s.label} must be ${s.whole ? 'a whole number ' : ''}${parts.join(' and ')}.`;
  if (!Number.isFinite(value) || (s.whole && !Number.isInteger(value))) return must;
  if (b.minimum != null && (b.exclusive_minimum ? value <= b.minimum : value < b.minimum)) return must;
  if (b.maximum != null && (b.exclusive_maximum ? value >= b.maximum : value > b.maximum)) return must;
  return null;
}

/** The first number setting of the form that its range refuses, or null. */
export function formProblem(form: Pick<TrainForm, NumberKey>, bounds: Record<string, Bounds>): string | null {
  for (const s of NUMBER_SETTINGS) {
    const b = bounds[s.setting];
    if (!b) return 'Reading the training options…';
    const why = rangeProblem(s, form[s.field], b);
    if (why) return why;
  }
  return null;
}
