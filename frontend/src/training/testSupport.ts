/** Test doubles for the stream tests: a scripted socket and timers run by hand. */
import type { SocketLike, Timers } from './reconnect';
import type { RunEvent } from './types';

export class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  closedWith: number | null = null;
  constructor(readonly url: string) {}
  open() {
    this.onopen?.({});
  }
  send(msg: unknown) {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  /** The server (or the network) closes the connection. */
  drop(code = 1006, reason = '') {
    this.onclose?.({ code, reason });
  }
  close(code = 1000) {
    this.closedWith = code;
  }
}

export class ManualTimers implements Timers {
  private next = 1;
  pending = new Map<number, { fn: () => void; ms: number }>();
  set(fn: () => void, ms: number) {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clear(h: unknown) {
    this.pending.delete(h as number);
  }
  delays(): number[] {
    return [...this.pending.values()].map((p) => p.ms);
  }
  /** Fire every pending timer once. */
  runAll() {
    const due = [...this.pending.entries()];
    this.pending.clear();
    for (const [, p] of due) p.fn();
  }
}

export function batch(seq: number, epoch: number, b: number, batches: number, loss: number, time = seq): RunEvent {
  return { seq, time, type: 'batch', epoch, epochs: 2, batch: b, batches, metrics: { loss, accuracy: 1 - loss } };
}

export function status(seq: number, s: string, time = seq): RunEvent {
  return { seq, time, type: 'status', status: s } as RunEvent;
}

/** Let pending promise callbacks run. */
export const flush = () => new Promise((r) => setTimeout(r, 0));
