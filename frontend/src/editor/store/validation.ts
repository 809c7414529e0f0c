/**
 * Live checking: every change of the graph's meaning (not its layout) schedules one
 * `POST /api/graphs/validate`: at once for a lone edit, after a short quiet period for a
 * burst of edits. Answers that arrive after a
 * newer request was sent are dropped (request counter), so marks never go backwards.
 */
import { api, ApiError } from '../../api/client';
import { answerOfErrors, type Graph, type ValidateAnswer } from '../graph/types';
import { graphToValidate, useEditor } from './editor';

export const VALIDATE_DEBOUNCE_MS = 150;

/** The fields that change what is built; layout (positions) does not. */
export function meaningOf(g: Graph): unknown[] {
  return [g.nodes, g.edges, g.subgraphs, g.model_type];
}

function sameMeaning(a: Graph | null, b: Graph): boolean {
  if (!a) return false;
  const x = meaningOf(a);
  const y = meaningOf(b);
  return x.every((v, i) => v === y[i]);
}

/**
 * An open sub-graph is checked as a model of its own, but its Outputs are not trained by
 * themselves (the model using it is): the warning that one has no loss is not for them.
 */
export function subgraphAnswer(answer: ValidateAnswer): ValidateAnswer {
  const warnings = answer.warnings.filter((w) => w.code !== 'no_loss');
  return warnings.length === answer.warnings.length ? answer : { ...answer, warnings };
}

export interface Validator {
  stop(): void;
  /** Validate now (skips the debounce); resolves when the answer is applied or dropped. */
  flush(): Promise<void>;
}

export function startValidation(
  validate: (g: Graph) => Promise<ValidateAnswer> = api.validate,
  debounceMs = VALIDATE_DEBOUNCE_MS,
): Validator {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let sent = 0;
  let lastSent: Graph | null = null;

  const run = async () => {
    timer = null;
    const s = useEditor.getState();
    const graph = graphToValidate(s.root, s.path);
    if (sameMeaning(lastSent, graph) && s.validatedGraph) return;
    lastSent = graph;
    const ticket = ++sent;
    s.setValidating(true);
    try {
      const answer = await validate(graph);
      if (ticket !== sent) return; // a newer request is in flight: this answer is stale
      useEditor.getState().setValidation(graph, s.path.length ? subgraphAnswer(answer) : answer);
    } catch (e) {
      if (ticket !== sent) return;
      const err = e as ApiError;
      if (err.problems?.length) {
        useEditor.getState().setValidation(graph, answerOfErrors(err.problems));
      } else useEditor.getState().setValidation(graph, null, err.message);
    }
  };

  let lastScheduled = -Infinity;
  /**
   * Leading and trailing: a lone edit is checked at once; edits in quick succession
   * (typing, dragging a value) wait for a quiet `debounceMs` and go as one request.
   * `inline`: a lone edit's request is sent right here, inside the store update, so it is
   * on the wire while React renders the edit (a timer would fire only after that render).
   */
  const schedule = (inline: boolean) => {
    const now = Date.now();
    const quiet = !timer && now - lastScheduled >= debounceMs;
    lastScheduled = now;
    if (timer) clearTimeout(timer);
    timer = null;
    if (quiet && inline) void run();
    else timer = setTimeout(run, quiet ? 0 : debounceMs);
  };

  const unsubscribe = useEditor.subscribe((s, prev) => {
    if (s.root === prev.root && s.path === prev.path) return;
    const now = graphToValidate(s.root, s.path);
    if (s.path === prev.path && sameMeaning(graphToValidate(prev.root, prev.path), now)) return;
    schedule(true);
  });
  schedule(false);

  return {
    stop: () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    },
    flush: () => {
      if (timer) clearTimeout(timer);
      return run();
    },
  };
}
