/**
 * Undo/redo as a pure value. Each entry is a whole snapshot (graphs are immutable and
 * share untouched nodes, so a snapshot costs little). Edits carrying the same `group`
 * within `coalesceMs` (typing into one field) merge into one undo step.
 */
export interface History<T> {
  past: T[];
  future: T[];
  lastGroup: string | null;
  lastAt: number;
}

export const HISTORY_LIMIT = 200;

export function emptyHistory<T>(): History<T> {
  return { past: [], future: [], lastGroup: null, lastAt: 0 };
}

/** Record `before` (the state being replaced) as an undo step. */
export function record<T>(
  h: History<T>,
  before: T,
  group: string | null = null,
  now = Date.now(),
  coalesceMs = 1000,
): History<T> {
  if (group && h.lastGroup === group && now - h.lastAt < coalesceMs && h.past.length) {
    return { ...h, future: [], lastAt: now };
  }
  const past = [...h.past, before];
  if (past.length > HISTORY_LIMIT) past.shift();
  return { past, future: [], lastGroup: group, lastAt: now };
}

export function undo<T>(h: History<T>, current: T): { history: History<T>; value: T } | null {
  if (!h.past.length) return null;
  const value = h.past[h.past.length - 1];
  return { history: { past: h.past.slice(0, -1), future: [current, ...h.future], lastGroup: null, lastAt: 0 }, value };
}

export function redo<T>(h: History<T>, current: T): { history: History<T>; value: T } | null {
  if (!h.future.length) return null;
  const [value, ...future] = h.future;
  return { history: { past: [...h.past, current], future, lastGroup: null, lastAt: 0 }, value };
}
