/**
 * The training dashboard's one import path for the rest of the editor: its store and
 * actions, each held by a module named for it (state.ts says how the actions are written).
 */
export { runOfThisGraph, setColourBy } from './colouring';
export { CHECK_DEBOUNCE_MS } from './datasetCheck';
export { loadDatasets, uploadDataset } from './datasets';
export { refreshRuns, watchRun } from './feeds';
export { cancelRun, compareRun, openRunGraph, settingsOf, startRun, viewRun } from './runs';
export { initTraining } from './startup';
export { dataOf, setForm, useTraining } from './state';
