import { describe, expect, it } from 'vitest';
import { EVENTS_PAGE } from './api';
import { RunStream, type StreamState } from './runStream';
import { batch, FakeSocket, flush, ManualTimers, status } from './testSupport';
import type { RunEvent } from './types';

/** A run on a fake server: its event log, the REST history call, and the sockets opened. */
function harness(log: RunEvent[], after = 0) {
  const sockets: FakeSocket[] = [];
  const delivered: RunEvent[] = [];
  const states: StreamState[] = [];
  const fetches: number[] = [];
  const timers = new ManualTimers();
  const stream = new RunStream({
    runId: 'r1',
    after,
    onEvents: (evs) => delivered.push(...evs),
    onState: (s) => states.push(s),
    fetchEvents: async (_id, a) => {
      fetches.push(a);
      return log.filter((e) => e.seq > a).slice(0, EVENTS_PAGE);
    },
    socketUrl: (id, a) => `ws://host/api/runs/${id}/stream?after=${a}`,
    open: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    timers,
    backoff: { baseMs: 100, maxMs: 1000, jitter: 0 },
  });
  return { stream, sockets, delivered, states, fetches, timers };
}

const seqs = (evs: RunEvent[]) => evs.map((e) => e.seq);

describe('RunStream', () => {
  it('loads the history, then opens the socket after the last seq seen', async () => {
    const log = [status(1, 'queued'), status(2, 'running'), batch(3, 0, 0, 4, 2.0)];
    const h = harness(log);
    await h.stream.start();
    expect(seqs(h.delivered)).toEqual([1, 2, 3]);
    expect(h.sockets.map((s) => s.url)).toEqual(['ws://host/api/runs/r1/stream?after=3']);
    h.sockets[0].open();
    expect(h.states.at(-1)).toEqual({ kind: 'live' });
    h.sockets[0].send(batch(4, 0, 1, 4, 1.8));
    await flush();
    expect(seqs(h.delivered)).toEqual([1, 2, 3, 4]);
  });

  it('resumes from where a previous page left off (after=SEQ given)', async () => {
    const log = [status(1, 'queued'), status(2, 'running'), batch(3, 0, 0, 4, 2.0), batch(4, 0, 1, 4, 1.9)];
    const h = harness(log, 2);
    await h.stream.start();
    expect(h.fetches).toEqual([2]);
    expect(seqs(h.delivered)).toEqual([3, 4]);
    expect(h.sockets[0].url).toContain('after=4');
  });

  it('after a dropped connection reconnects from the last seq with backoff, and drops replayed duplicates', async () => {
    const h = harness([status(1, 'running')]);
    await h.stream.start();
    const s0 = h.sockets[0];
    s0.open();
    s0.send(batch(2, 0, 0, 4, 2.0));
    s0.send(batch(3, 0, 1, 4, 1.9));
    await flush();
    s0.drop(1006);
    expect(h.states.at(-1)).toEqual({ kind: 'reconnecting', inMs: 100, attempt: 1 });
    h.timers.runAll();
    const s1 = h.sockets[1];
    expect(s1.url).toContain('after=3');
    s1.open();
    // a server that replays a little too much: 2 and 3 again, then new ones
    for (const ev of [
      batch(2, 0, 0, 4, 2.0),
      batch(3, 0, 1, 4, 1.9),
      batch(4, 0, 2, 4, 1.7),
      { type: 'ping', time: 9 },
    ])
      s1.send(ev);
    s1.send(batch(5, 0, 3, 4, 1.6));
    await flush();
    expect(seqs(h.delivered)).toEqual([1, 2, 3, 4, 5]);
  });

  it('fills a gap in seq from the REST history before delivering what follows it', async () => {
    const log: RunEvent[] = [status(1, 'running'), batch(2, 0, 0, 4, 2.0)];
    const h = harness(log);
    await h.stream.start();
    h.sockets[0].open();
    // seq 3 and 4 happened but the socket skipped them
    log.push(batch(3, 0, 1, 4, 1.9), batch(4, 0, 2, 4, 1.8), batch(5, 0, 3, 4, 1.7));
    h.sockets[0].send(batch(5, 0, 3, 4, 1.7));
    await flush();
    await flush();
    expect(seqs(h.delivered)).toEqual([1, 2, 3, 4, 5]);
    expect(h.fetches).toEqual([0, 2]);
  });

  it('pages through a long history', async () => {
    const log: RunEvent[] = [status(1, 'running')];
    for (let i = 2; i <= EVENTS_PAGE + 10; i++) log.push(batch(i, 0, i - 2, EVENTS_PAGE + 9, 1));
    const h = harness(log);
    await h.stream.start();
    expect(h.fetches).toEqual([0, EVENTS_PAGE]);
    expect(h.delivered).toHaveLength(EVENTS_PAGE + 10);
    expect(h.sockets[0].url).toContain(`after=${EVENTS_PAGE + 10}`);
  });

  it('ends after the terminal status and does not reconnect when the server closes', async () => {
    const h = harness([status(1, 'running')]);
    await h.stream.start();
    h.sockets[0].open();
    h.sockets[0].send(status(2, 'succeeded'));
    await flush();
    expect(h.stream.finished).toBe(true);
    expect(h.sockets[0].closedWith).toBe(1000);
    h.sockets[0].drop(1000, 'run finished');
    expect(h.timers.pending.size).toBe(0);
    expect(h.states.at(-1)).toEqual({ kind: 'ended' });
  });

  it('opens no socket for a run that had already finished', async () => {
    const h = harness([status(1, 'running'), batch(2, 0, 0, 1, 1), status(3, 'cancelled')]);
    await h.stream.start();
    expect(h.sockets).toHaveLength(0);
    expect(seqs(h.delivered)).toEqual([1, 2, 3]);
    expect(h.states.at(-1)).toEqual({ kind: 'ended' });
  });

  it('still streams when the history call fails, and gives up on an unknown run', async () => {
    const h = harness([]);
    (h.stream as unknown as { o: { fetchEvents: unknown } }).o.fetchEvents = async () => {
      throw new Error('offline');
    };
    await h.stream.start();
    expect(h.sockets[0].url).toContain('after=0');
    h.sockets[0].drop(4404, 'unknown run');
    expect(h.timers.pending.size).toBe(0);
    expect(h.states.at(-1)).toEqual({ kind: 'error', message: 'The server knows no such run.' });
  });
});
