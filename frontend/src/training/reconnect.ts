/**
 * A WebSocket that reconnects with exponential backoff (plus jitter) until it is told to
 * stop or the server closes it with a code that says trying again is pointless. The URL
 * is asked for on every attempt, so a run stream can resume with `after=` its last seq.
 * The transport and the timers are injectable: unit tests drive it without a network.
 */

export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type OpenSocket = (url: string) => SocketLike;

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const openBrowserSocket: OpenSocket = (url) => new WebSocket(url) as unknown as SocketLike;

export interface Backoff {
  baseMs: number;
  maxMs: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, maxMs: 10_000, jitter: 0.2 };

/** The wait before reconnect attempt `attempt` (0-based): base * 2^attempt, capped, jittered. */
export function backoffDelay(
  attempt: number,
  b: Backoff = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const plain = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(plain * (1 - b.jitter + 2 * b.jitter * random()));
}

export type ConnState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; delayMs: number; code: number }
  | { kind: 'stopped'; code: number | null; reason: string };

export interface RetryOptions {
  /** Where to connect, asked afresh for every attempt (a promise: a ticket to fetch first). */
  url(): string | Promise<string>;
  onMessage(text: string): void;
  /** True when a close with this code ends the connection for good. */
  isFinal(code: number, reason: string): boolean;
  onState?(s: ConnState): void;
  /** Called on every successful (re)connection. */
  onOpen?(): void;
  open?: OpenSocket;
  timers?: Timers;
  backoff?: Backoff;
  random?: () => number;
}

export class RetryingSocket {
  private ws: SocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = false;

  constructor(private readonly o: RetryOptions) {}

  get active(): boolean {
    return !this.stopped;
  }

  start(): void {
    this.connect();
  }

  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) (this.o.timers ?? realTimers).clear(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = ws.onerror = null;
      ws.close(1000, reason);
    }
    this.o.onState?.({ kind: 'stopped', code: null, reason });
  }

  private connect(): void {
    if (this.stopped) return;
    this.o.onState?.({ kind: 'connecting', attempt: this.attempt });
    let url: string | Promise<string>;
    try {
      url = this.o.url();
    } catch {
      this.retry(1006);
      return;
    }
    if (typeof url === 'string') this.openAt(url);
    else
      url.then(
        (u) => !this.stopped && this.openAt(u),
        () => !this.stopped && this.retry(1006),
      );
  }

  private openAt(url: string): void {
    let ws: SocketLike;
    try {
      ws = (this.o.open ?? openBrowserSocket)(url);
    } catch {
      this.retry(1006);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.o.onState?.({ kind: 'open' });
      this.o.onOpen?.();
    };
    ws.onmessage = (ev) => {
      this.attempt = 0; // data flows: the next drop starts the backoff afresh
      this.o.onMessage(typeof ev.data === 'string' ? ev.data : String(ev.data));
    };
    ws.onerror = () => {
      /* a close event follows */
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (this.o.isFinal(ev.code, ev.reason)) {
        this.stopped = true;
        this.o.onState?.({ kind: 'stopped', code: ev.code, reason: ev.reason });
        return;
      }
      this.retry(ev.code);
    };
  }

  private retry(code: number): void {
    const delayMs = backoffDelay(this.attempt, this.o.backoff, this.o.random);
    this.o.onState?.({ kind: 'waiting', attempt: this.attempt, delayMs, code });
    this.attempt += 1;
    this.timer = (this.o.timers ?? realTimers).set(() => {
      this.timer = null;
      this.connect();
    }, delayMs);
  }
}
