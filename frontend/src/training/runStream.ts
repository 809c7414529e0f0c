/**
 * One run's events, resumable: first the history (`GET /events?after=SEQ`, paged), then
 * the WebSocket from the last seq seen; after a dropped connection it reconnects (with
 * backoff) from the last seq again. Every event is delivered once, in seq order: older
 * or repeated seqs are dropped, and a jump in seq is filled from the REST history
 * before anything after it is delivered. It ends by itself after the terminal status.
 */
import { EVENTS_PAGE } from './api';
import { RetryingSocket, type Backoff, type ConnState, type OpenSocket, type Timers } from './reconnect';
import { isTerminal, type RunEvent } from './types';

export type StreamState =
  | { kind: 'loading' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; inMs: number; attempt: number }
  | { kind: 'ended' }
  | { kind: 'error'; message: string };

/** Close codes after which reconnecting cannot help (see backend/layerforge/api/hub.py). */
const FINAL_CLOSE = new Set([4400, 4403, 4404]);

export interface RunStreamOptions {
  runId: string;
  /** The last seq already delivered (0: from the start). */
  after?: number;
  onEvents(events: RunEvent[]): void;
  onState?(s: StreamState): void;
  fetchEvents(runId: string, after: number): Promise<RunEvent[]>;
  /** The socket's URL; a promise when it needs a round trip first (a ticket). */
  socketUrl(runId: string, after: number): string | Promise<string>;
  open?: OpenSocket;
  timers?: Timers;
  backoff?: Backoff;
  random?: () => number;
}

export class RunStream {
  lastSeq: number;
  finished = false;
  private socket: RetryingSocket | null = null;
  private stopped = false;
  /** Socket messages are handled one after another (a gap fill is asynchronous). */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: RunStreamOptions) {
    this.lastSeq = o.after ?? 0;
  }

  async start(): Promise<void> {
    this.state({ kind: 'loading' });
    try {
      await this.catchUp();
    } catch {
      // The socket replays from lastSeq too; history is the fast path, not the only one.
    }
    if (this.stopped) return;
    if (this.finished) {
      this.state({ kind: 'ended' });
      return;
    }
    this.socket = new RetryingSocket({
      url: () => this.o.socketUrl(this.o.runId, this.lastSeq),
      onMessage: (text) => {
        this.chain = this.chain.then(() => this.onMessage(text));
      },
      isFinal: (code) => this.finished || FINAL_CLOSE.has(code),
      onState: (s) => this.onSocketState(s),
      open: this.o.open,
      timers: this.o.timers,
      backoff: this.o.backoff,
      random: this.o.random,
    });
    this.socket.start();
  }

  stop(): void {
    this.stopped = true;
    this.socket?.stop();
    this.socket = null;
  }

  /** Deliver what is new in `events` (any order, repeats allowed); returns what was delivered. */
  accept(events: RunEvent[]): RunEvent[] {
    const fresh = events
      .filter((e) => typeof e.seq === 'number' && e.seq > this.lastSeq)
      .sort((a, b) => a.seq - b.seq)
      .filter((e, i, all) => i === 0 || e.seq !== all[i - 1].seq);
    if (!fresh.length || this.stopped) return [];
    this.lastSeq = fresh[fresh.length - 1].seq;
    if (fresh.some((e) => e.type === 'status' && isTerminal(e.status))) this.finished = true;
    this.o.onEvents(fresh);
    return fresh;
  }

  /** Everything after lastSeq from the REST history, page by page. */
  private async catchUp(): Promise<void> {
    for (;;) {
      const page = await this.o.fetchEvents(this.o.runId, this.lastSeq);
      this.accept(page);
      if (page.length < EVENTS_PAGE || this.finished || this.stopped) return;
    }
  }

  private async onMessage(text: string): Promise<void> {
    let ev: RunEvent;
    try {
      ev = JSON.parse(text) as RunEvent;
    } catch {
      return;
    }
    if (typeof ev.seq !== 'number' || this.stopped) return; // pings carry no seq
    if (ev.seq > this.lastSeq + 1) {
      try {
        await this.catchUp();
      } catch {
        /* deliver what we have; the next reconnect replays from lastSeq */
      }
    }
    this.accept([ev]);
    if (this.finished) {
      this.socket?.stop('run finished');
      this.socket = null;
      this.state({ kind: 'ended' });
    }
  }

  private onSocketState(s: ConnState): void {
    if (this.stopped || this.finished) return;
    if (s.kind === 'open') this.state({ kind: 'live' });
    else if (s.kind === 'waiting') this.state({ kind: 'reconnecting', inMs: s.delayMs, attempt: s.attempt + 1 });
    else if (s.kind === 'stopped' && s.code !== null) {
      this.state(
        s.code === 4404
          ? { kind: 'error', message: 'The server knows no such run.' }
          : { kind: 'error', message: `The stream was refused (${s.code} ${s.reason})` },
      );
    }
  }

  private state(s: StreamState): void {
    this.o.onState?.(s);
  }
}
