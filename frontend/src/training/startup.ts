/** Starting the dashboard once per page: what it loads and follows, and how it answers
 * the editor (another graph, an edit that changes its meaning). */
import { useEditor } from '../editor/store/editor';
import { meaningOf } from '../editor/store/validation';
import { trainingApi } from './api';
import { syncOverlay } from './colouring';
import { scheduleCheck } from './datasetCheck';
import { loadDatasets } from './datasets';
import { pollWorkers, refreshRuns, startRunsFeed } from './feeds';
import { readActiveRun } from './resume';
import { compareRun, viewRun } from './runs';
import { setOptions, useTraining } from './state';

let started = false;

/** Idempotent: data sets, runs, the all-runs status feed, the live check, resume. */
export function initTraining(): void {
  if (started) return;
  started = true;
  void loadDatasets().then(() => scheduleCheck(0));
  trainingApi
    .options()
    .then(setOptions, (e) =>
      useEditor.getState().notify(`Cannot read the training options: ${(e as Error).message}`, 'error'),
    );
  void refreshRuns();
  pollWorkers();
  startRunsFeed();

  useEditor.subscribe((s, prev) => {
    if (s.runs !== prev.runs) {
      // another graph opened: the charts of a run that is not its own go
      const { viewRunId, compareRunId } = useTraining.getState();
      if (compareRunId && !s.runs.includes(compareRunId)) compareRun(null);
      if (viewRunId && !s.runs.includes(viewRunId)) viewRun(null);
      else syncOverlay();
    }
    if (s.root === prev.root) return;
    const a = meaningOf(s.root);
    const b = meaningOf(prev.root);
    if (a.every((v, i) => v === b[i])) return;
    scheduleCheck();
  });
  useTraining.subscribe((s, prev) => {
    if (s.form.dataset !== prev.form.dataset) scheduleCheck(0);
  });

  const resumed = readActiveRun();
  if (resumed) viewRun(resumed);
}
