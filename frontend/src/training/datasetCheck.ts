/** The live check of the graph against the chosen data set (POST /api/datasets/check),
 * debounced while the graph is edited; an answer to an older request is dropped. */
import type { ApiError } from '../api/client';
import { useEditor } from '../editor/store/editor';
import { trainingApi } from './api';
import { useTraining } from './state';

export const CHECK_DEBOUNCE_MS = 300;

let checkTimer: ReturnType<typeof setTimeout> | null = null;
let checkTicket = 0;

async function runCheck(): Promise<void> {
  checkTimer = null;
  const graph = useEditor.getState().root;
  const { dataset } = useTraining.getState().form;
  if (!dataset || !graph.nodes.length) {
    useTraining.setState({ check: { kind: 'idle' } });
    return;
  }
  const ticket = ++checkTicket;
  useTraining.setState({ check: { kind: 'checking' } });
  try {
    const answer = await trainingApi.checkDataset(graph, dataset);
    if (ticket === checkTicket) useTraining.setState({ check: { kind: 'done', answer, graph } });
  } catch (e) {
    if (ticket !== checkTicket) return;
    const err = e as ApiError;
    // a graph the server cannot even read comes back as a 422 with problems: it does not fit
    if (err.status === 422 && err.problems.length) {
      useTraining.setState({
        check: { kind: 'done', answer: { fits: false, errors: err.problems, dataset: null, graph_valid: false } },
      });
    } else useTraining.setState({ check: { kind: 'error', message: err.message } });
  }
}

export function scheduleCheck(delay = CHECK_DEBOUNCE_MS): void {
  if (checkTimer) clearTimeout(checkTimer);
  useTraining.setState((s) => (s.check.kind === 'checking' ? {} : { check: { ...s.check, kind: 'checking' } }));
  checkTimer = setTimeout(() => void runCheck(), delay);
}
