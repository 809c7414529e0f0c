/** Why the Start button is disabled, in words a person can act on (null: it may start). */
import type { Graph, ValidateAnswer } from '../editor/graph/types';
import { formProblem, type Bounds } from './numberSettings';
import type { DatasetCheckAnswer } from './types';

export interface CheckState {
  kind: 'idle' | 'checking' | 'done' | 'error';
  answer?: DatasetCheckAnswer;
  /** The root graph the answer is about (its fixes are patches on it). */
  graph?: Graph;
  message?: string;
}

export interface BlockerInput {
  graph: Graph;
  /** The editor's live validation of the root graph (null while none arrived). */
  validation: ValidateAnswer | null;
  dataset: string;
  check: CheckState;
  starting: boolean;
  form: { epochs: number; batchSize: number; learningRate: number; validationSplit: number };
  /** The server's range per number setting (empty until the training options arrive). */
  bounds: Record<string, Bounds>;
}

export function startBlocker(i: BlockerInput): string | null {
  if (i.starting) return 'Starting…';
  if (!i.graph.nodes.length) return 'Draw a model (or open a template) first.';
  if (!i.graph.nodes.some((n) => n.type === 'Input')) return 'The model needs an Input node.';
  if (!i.graph.nodes.some((n) => n.type === 'Output'))
    return 'The model needs an Output node (its loss is what training minimises).';
  const errors = i.validation?.errors ?? [];
  if (errors.length) {
    const first = errors[0];
    return `The graph has ${errors.length} error${errors.length > 1 ? 's' : ''}: ${first.node ? `${first.node}: ` : ''}${first.message}`;
  }
  if (!i.dataset) return 'Choose a data set.';
  const numbers = formProblem(i.form, i.bounds);
  if (numbers) return numbers;
  if (i.check.kind === 'checking' || i.check.kind === 'idle') return 'Checking the data set against the model…';
  if (i.check.kind === 'error') return `The data set check failed: ${i.check.message}`;
  const a = i.check.answer;
  if (a && !a.graph_valid) return 'The graph has errors (see Problems).';
  if (a && !a.fits) {
    const first = a.errors[0];
    return first ? `The data set does not fit: ${first.message}` : 'The data set does not fit the model.';
  }
  return null;
}
