import { describe, expect, it } from 'vitest';
import { addEvent, emptyTable } from '../training/series';
import type { RunEvent } from '../training/types';
import { ema, epochMetrics, groupBySweep, overlayOf, summarize } from './overlay';

function tableOf(values: Record<string, number>[], batches = true) {
  const t = emptyTable();
  values.forEach((metrics, epoch) => {
    if (batches) addEvent(t, { type: 'batch', seq: 0, time: 0, epoch, batch: 0, batches: 2, metrics } as RunEvent);
    addEvent(t, { type: 'epoch', seq: 0, time: 0, epoch, epochs: values.length, metrics } as RunEvent);
  });
  return t;
}

describe('ema', () => {
  it('leaves the values alone at 0 and keeps nulls', () => {
    expect(ema([1, null, 3], 0)).toEqual([1, null, 3]);
    expect(ema([1, null, 3], 0.5)[1]).toBeNull();
  });
  it('is debiased: a constant stays constant, a step is followed gradually', () => {
    expect(ema([2, 2, 2], 0.9).map((v) => +v!.toFixed(10))).toEqual([2, 2, 2]);
    const s = ema([0, 10, 10, 10], 0.5) as number[];
    // 0; (0.5*0 + 0.5*10)/0.75 = 6.67; then creeping towards 10
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(6.667, 2);
    expect(s[2]).toBeGreaterThan(s[1]);
    expect(s[3]).toBeLessThan(10);
  });
});

describe('summarize', () => {
  it('min, max and the last finite value; nothing gives nulls', () => {
    expect(summarize([3, 1, null, 2])).toEqual({ min: 1, max: 3, last: 2 });
    expect(summarize([null])).toEqual({ min: null, max: null, last: null });
  });
});

describe('overlayOf', () => {
  it('puts the runs on the union of their epochs, ignoring batch rows', () => {
    const a = tableOf([{ loss: 3 }, { loss: 2 }, { loss: 1 }]);
    const b = tableOf([{ loss: 5 }, { loss: 4 }]);
    const o = overlayOf(
      [
        { id: 'a', table: a },
        { id: 'b', table: b },
      ],
      'loss',
      0,
    );
    expect(o.x).toEqual([1, 2, 3]);
    expect(o.ys).toEqual([
      [3, 2, 1],
      [5, 4, null],
    ]);
    expect(o.summaries[1]).toEqual({ min: 4, max: 5, last: 4 });
  });
  it('summaries are of the raw values while the lines are smoothed; log axes drop values <= 0', () => {
    const a = tableOf([{ m: 0 }, { m: 10 }], false);
    const o = overlayOf([{ id: 'a', table: a }], 'm', 0.5, true);
    expect(o.summaries[0]).toEqual({ min: 0, max: 10, last: 10 });
    expect(o.ys[0][0]).toBeNull();
    expect(o.ys[0][1]).toBeCloseTo(6.667, 2);
  });
  it('a run without the metric is an empty line', () => {
    const o = overlayOf([{ id: 'a', table: tableOf([{ loss: 1 }]) }], 'accuracy', 0);
    expect(o.x).toEqual([]);
    expect(o.ys).toEqual([[]]);
  });
});

describe('epochMetrics', () => {
  it('loss first, then val_loss, other losses, the rest by name', () => {
    const t = tableOf([{ accuracy: 1, val_accuracy: 1, val_loss: 1, loss: 1, out_loss: 1 }]);
    expect(epochMetrics([t])).toEqual(['loss', 'val_loss', 'out_loss', 'accuracy', 'val_accuracy']);
  });
});

describe('groupBySweep', () => {
  it("a sweep's runs in trial order, then the runs no sweep made", () => {
    const runs = ['r1', 'r2', 'r3', 'r4'].map((id) => ({ id }));
    const groups = groupBySweep(runs, [
      {
        id: 's1',
        trials: [
          { number: 1, run_id: 'r1' },
          { number: 0, run_id: 'r3' },
          { number: 2, run_id: null },
        ],
      },
      { id: 's2', trials: [{ number: 0, run_id: 'gone' }] },
    ]);
    expect(groups).toEqual([
      { sweep: 's1', runs: [{ id: 'r3' }, { id: 'r1' }] },
      { sweep: null, runs: [{ id: 'r2' }, { id: 'r4' }] },
    ]);
  });
});
