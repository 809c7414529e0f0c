import { describe, expect, it } from 'vitest';
import { backoffDelay, RetryingSocket, type ConnState } from './reconnect';
import { FakeSocket, ManualTimers } from './testSupport';

describe('backoffDelay', () => {
  const b = { baseMs: 500, maxMs: 8000, jitter: 0 };
  it('doubles per attempt up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map((a) => backoffDelay(a, b))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });
  it('jitters within the given fraction', () => {
    const j = { ...b, jitter: 0.2 };
    expect(backoffDelay(2, j, () => 0)).toBe(1600);
    expect(backoffDelay(2, j, () => 1)).toBe(2400);
    expect(backoffDelay(2, j, () => 0.5)).toBe(2000);
  });
});

function harness(isFinal = (code: number) => code === 4404) {
  const sockets: FakeSocket[] = [];
  const timers = new ManualTimers();
  const messages: string[] = [];
  const states: ConnState[] = [];
  let n = 0;
  const rs = new RetryingSocket({
    url: () => `ws://x/stream?attempt=${n++}`,
    onMessage: (t) => messages.push(t),
    isFinal,
    onState: (s) => states.push(s),
    open: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    timers,
    backoff: { baseMs: 100, maxMs: 1000, jitter: 0 },
  });
  return { rs, sockets, timers, messages, states };
}

describe('RetryingSocket', () => {
  it('reconnects after a drop with growing delays, asking for the URL each time', () => {
    const h = harness();
    h.rs.start();
    expect(h.sockets).toHaveLength(1);
    h.sockets[0].drop(1006);
    expect(h.timers.delays()).toEqual([100]);
    h.timers.runAll();
    expect(h.sockets).toHaveLength(2);
    expect(h.sockets[1].url).toBe('ws://x/stream?attempt=1');
    h.sockets[1].drop(1006);
    expect(h.timers.delays()).toEqual([200]);
    h.timers.runAll();
    h.sockets[2].drop(1011);
    expect(h.timers.delays()).toEqual([400]);
  });

  it('starts the backoff afresh once data flowed again', () => {
    const h = harness();
    h.rs.start();
    h.sockets[0].drop();
    h.timers.runAll();
    h.sockets[1].drop();
    h.timers.runAll();
    h.sockets[2].open();
    h.sockets[2].send('hello');
    h.sockets[2].drop();
    expect(h.timers.delays()).toEqual([100]);
    expect(h.messages).toEqual(['hello']);
  });

  it('stops for good on a final close code', () => {
    const h = harness();
    h.rs.start();
    h.sockets[0].drop(4404, 'unknown run');
    expect(h.timers.pending.size).toBe(0);
    expect(h.rs.active).toBe(false);
    expect(h.states.at(-1)).toEqual({ kind: 'stopped', code: 4404, reason: 'unknown run' });
  });

  it('stop() cancels a pending reconnect and closes the open socket', () => {
    const h = harness();
    h.rs.start();
    h.sockets[0].drop();
    expect(h.timers.pending.size).toBe(1);
    h.rs.stop();
    expect(h.timers.pending.size).toBe(0);
    h.timers.runAll();
    expect(h.sockets).toHaveLength(1);

    const g = harness();
    g.rs.start();
    g.rs.stop();
    expect(g.sockets[0].closedWith).toBe(1000);
    g.sockets[0].drop(1006); // a late close from the old socket changes nothing
    expect(g.timers.pending.size).toBe(0);
  });
});

describe('RetryingSocket with a URL that needs a round trip (a ticket)', () => {
  it('opens once the URL arrives, and retries when fetching it fails', async () => {
    const sockets: FakeSocket[] = [];
    const timers = new ManualTimers();
    let n = 0;
    const rs = new RetryingSocket({
      url: () => (n++ === 0 ? Promise.reject(new Error('no ticket')) : Promise.resolve(`ws://x/s?ticket=t${n}`)),
      onMessage: () => {},
      isFinal: () => false,
      open: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      timers,
      backoff: { baseMs: 100, maxMs: 1000, jitter: 0 },
    });
    rs.start();
    await Promise.resolve();
    await Promise.resolve();
    expect(sockets).toHaveLength(0);
    expect(timers.delays()).toEqual([100]);
    timers.runAll();
    await Promise.resolve();
    await Promise.resolve();
    expect(sockets.map((s) => s.url)).toEqual(['ws://x/s?ticket=t2']);
  });
});
