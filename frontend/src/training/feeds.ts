/**
 * What the server sends the dashboard: each watched run's events (RunStream), the run
 * list and the all-runs status feed, the workers. Streams live here, not in components:
 * switching dock tabs keeps them running. Run data changes bump `tick` at most once per
 * animation frame, so a burst of batch events costs one render.
 */
import { runStreamPath, ticketedSocketUrl, trainingApi } from './api';
import { syncOverlay } from './colouring';
import { RetryingSocket } from './reconnect';
import type { RunData } from './runData';
import { RunStream } from './runStream';
import { runDataOf, useTraining } from './state';
import { isTerminal, type RunInfo, type RunStatusChange } from './types';

// -- coalesced re-render ---------------------------------------------------------------
let framePending = false;
const nextFrame: (fn: () => void) => void =
  typeof requestAnimationFrame === 'function' ? (fn) => requestAnimationFrame(fn) : (fn) => setTimeout(fn, 16);

export function scheduleTick(): void {
  if (framePending) return;
  framePending = true;
  nextFrame(() => {
    framePending = false;
    useTraining.setState((s) => ({ tick: s.tick + 1 }));
    syncOverlay();
  });
}

// -- the run list ----------------------------------------------------------------------
/** Add a run, or update one listed. A status alone never adds a run: a run listed without
 * its settings broke every view that reads them (the list's refresh brings it whole). */
export function upsertRun(run: Partial<RunInfo> & { id: string }): void {
  useTraining.setState((s) => {
    const i = s.runs.findIndex((r) => r.id === run.id);
    if (i < 0 && !run.settings) return {};
    if (i < 0) return { runs: [{ status: 'queued', ...run } as RunInfo, ...s.runs] };
    const runs = s.runs.slice();
    runs[i] = { ...runs[i], ...run };
    return { runs };
  });
}

export async function refreshRuns(): Promise<void> {
  try {
    const runs = await trainingApi.runs();
    useTraining.setState({ runs, runsError: null });
  } catch (e) {
    useTraining.setState({ runsError: (e as Error).message });
  }
}

/** The all-runs status feed: keeps the run list current. */
export function startRunsFeed(): void {
  const feed = new RetryingSocket({
    url: () => ticketedSocketUrl('/api/runs/stream'),
    isFinal: (code) => code === 4403,
    onOpen: () => void refreshRuns(), // catch up on what changed while we were away
    onState: (st) =>
      useTraining.setState({
        feed: st.kind === 'open' ? 'live' : st.kind === 'waiting' ? 'reconnecting' : 'connecting',
      }),
    onMessage: (text) => {
      let msg: RunStatusChange;
      try {
        msg = JSON.parse(text);
      } catch {
        return;
      }
      if (msg.type !== 'status' || !msg.run_id) return;
      const known = useTraining.getState().runs.some((r) => r.id === msg.run_id);
      upsertRun({ id: msg.run_id, status: msg.status });
      void loadWorkers(); // a run started or ended on some device
      if (!known || isTerminal(msg.status)) void refreshRuns(); // new run, or final metrics
    },
  });
  feed.start();
}

// -- one run's events --------------------------------------------------------------------
const streams = new Map<string, RunStream>();

/** Make sure the run's events are loaded and, while it is live, streamed. */
export function watchRun(id: string): RunData {
  const data = runDataOf(id);
  if (!streams.has(id)) {
    const stream = new RunStream({
      runId: id,
      after: 0,
      fetchEvents: trainingApi.events,
      socketUrl: (runId, after) => ticketedSocketUrl(runStreamPath(runId, after)),
      onEvents: (events) => {
        data.apply(events);
        for (const ev of events) if (ev.type === 'status') upsertRun({ id, status: ev.status });
        scheduleTick();
      },
      onState: (st) => useTraining.setState((s) => ({ streams: { ...s.streams, [id]: st } })),
    });
    streams.set(id, stream);
    void stream.start();
  }
  return data;
}

// -- workers -----------------------------------------------------------------------------
/** How often the workers list is asked for again (their heartbeats are a few seconds apart). */
const WORKERS_POLL_MS = 5000;

async function loadWorkers(): Promise<void> {
  if (typeof document !== 'undefined' && document.hidden) return;
  try {
    useTraining.setState({ workers: await trainingApi.workers() });
  } catch {
    // kept as last heard: the next poll tries again
  }
}

export function pollWorkers(): void {
  void loadWorkers();
  setInterval(() => void loadWorkers(), WORKERS_POLL_MS);
}
