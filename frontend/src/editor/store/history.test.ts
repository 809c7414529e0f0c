import { describe, expect, it } from 'vitest';
import { emptyHistory, HISTORY_LIMIT, record, redo, undo } from './history';

describe('undo/redo history', () => {
  it('undoes and redoes in order', () => {
    let h = emptyHistory<number>();
    h = record(h, 0, null, 0);
    h = record(h, 1, null, 10);
    const u1 = undo(h, 2)!;
    expect(u1.value).toBe(1);
    const u2 = undo(u1.history, u1.value)!;
    expect(u2.value).toBe(0);
    expect(undo(u2.history, 0)).toBeNull();
    const r1 = redo(u2.history, 0)!;
    expect(r1.value).toBe(1);
    expect(redo(r1.history, 1)!.value).toBe(2);
  });

  it('a new edit after undo drops the redo branch', () => {
    let h = record(emptyHistory<string>(), 'a', null, 0);
    const u = undo(h, 'b')!;
    h = record(u.history, 'a', null, 5);
    expect(h.future).toEqual([]);
    expect(redo(h, 'c')).toBeNull();
  });

  it('coalesces edits of one group within the window, not after it', () => {
    let h = emptyHistory<string>();
    h = record(h, 'v0', 'units', 0);
    h = record(h, 'v1', 'units', 300);
    h = record(h, 'v2', 'units', 600);
    expect(h.past).toEqual(['v0']);
    h = record(h, 'v3', 'units', 5000);
    expect(h.past).toEqual(['v0', 'v3']);
    h = record(h, 'v4', 'rate', 5100);
    expect(h.past).toEqual(['v0', 'v3', 'v4']);
  });

  it('keeps at most HISTORY_LIMIT steps', () => {
    let h = emptyHistory<number>();
    for (let i = 0; i < HISTORY_LIMIT + 50; i++) h = record(h, i, null, i);
    expect(h.past).toHaveLength(HISTORY_LIMIT);
    expect(h.past[0]).toBe(50);
  });
});
