import { describe, expect, it } from 'vitest';
import { addEvent, batchStep, chartsOf, emptyTable, joinColumns, pointCount } from './series';
import type { RunEvent } from './types';

const b = (epoch: number, batch: number, batches: number, metrics: Record<string, number | null>): RunEvent => ({
  seq: 0,
  time: 0,
  type: 'batch',
  epoch,
  epochs: 2,
  batch,
  batches,
  metrics,
});
const e = (epoch: number, metrics: Record<string, number | null>): RunEvent => ({
  seq: 0,
  time: 0,
  type: 'epoch',
  epoch,
  epochs: 2,
  metrics,
});

describe('series table', () => {
  it('puts batches at fractional epochs and an epoch on its last batch row', () => {
    const t = emptyTable();
    addEvent(t, b(0, 0, 2, { loss: 2 }));
    addEvent(t, b(0, 1, 2, { loss: 1.5 }));
    addEvent(t, e(0, { loss: 1.5, val_loss: 1.7 }));
    addEvent(t, b(1, 0, 2, { loss: 1.2 }));
    expect(t.x).toEqual([0.5, 1, 1.5]);
    expect(t.cols.get('batch:loss')).toEqual([2, 1.5, 1.2]);
    expect(t.cols.get('epoch:loss')).toEqual([null, 1.5, null]);
    expect(t.cols.get('epoch:val_loss')).toEqual([null, 1.7, null]);
    expect(pointCount(t)).toBe(5);
  });

  it('gives a metric that appears late nulls for the earlier rows, and NaN/null become gaps', () => {
    const t = emptyTable();
    addEvent(t, b(0, 0, 4, { loss: 2 }));
    addEvent(t, b(0, 1, 4, { loss: NaN, accuracy: 0.3 }));
    addEvent(t, b(0, 2, 4, { loss: null }));
    expect(t.cols.get('batch:accuracy')).toEqual([null, 0.3, null]);
    expect(t.cols.get('batch:loss')).toEqual([2, null, null]);
  });

  it('inserts an out-of-order point in place, keeping every column aligned', () => {
    const t = emptyTable();
    addEvent(t, b(0, 0, 4, { loss: 4 }));
    addEvent(t, b(0, 3, 4, { loss: 1 }));
    addEvent(t, b(0, 1, 4, { loss: 3 }));
    expect(t.x).toEqual([0.25, 0.5, 1]);
    expect(t.cols.get('batch:loss')).toEqual([4, 3, 1]);
    expect(batchStep({ epoch: 2, batch: 9, batches: 10 })).toBe(3);
  });
});

describe('chartsOf', () => {
  it('makes one chart per metric and per output, train and validation together, loss first', () => {
    const cols = [
      'batch:loss',
      'batch:main_output_loss',
      'batch:aux_output_loss',
      'batch:main_output_accuracy',
      'epoch:loss',
      'epoch:val_loss',
      'epoch:main_output_loss',
      'epoch:val_main_output_loss',
      'epoch:aux_output_loss',
      'epoch:main_output_accuracy',
      'epoch:val_main_output_accuracy',
      'epoch:learning_rate',
    ];
    const charts = chartsOf(cols);
    expect(charts.map((c) => c.metric)).toEqual([
      'loss',
      'aux_output_loss',
      'main_output_loss',
      'main_output_accuracy',
      'learning_rate',
    ]);
    expect(charts[0].series.map((s) => [s.col, s.kind])).toEqual([
      ['batch:loss', 'batch'],
      ['epoch:loss', 'train'],
      ['epoch:val_loss', 'val'],
    ]);
    expect(charts[3].series.map((s) => s.label)).toEqual(['batch', 'train', 'val']);
  });
});

describe('joinColumns', () => {
  it('returns the table itself for one run', () => {
    const t = emptyTable();
    addEvent(t, b(0, 0, 1, { loss: 1 }));
    const j = joinColumns([{ table: t, cols: ['batch:loss', 'epoch:val_loss'] }]);
    expect(j.x).toBe(t.x);
    expect(j.ys).toEqual([[1], [null]]);
  });

  it('aligns two runs on the union of their x values', () => {
    const a = emptyTable();
    const c = emptyTable();
    addEvent(a, b(0, 0, 2, { loss: 2 }));
    addEvent(a, b(0, 1, 2, { loss: 1 }));
    addEvent(c, b(0, 0, 4, { loss: 3 }));
    addEvent(c, b(0, 1, 4, { loss: 2.5 }));
    addEvent(c, b(0, 3, 4, { loss: 2 }));
    const j = joinColumns([
      { table: a, cols: ['batch:loss'] },
      { table: c, cols: ['batch:loss'] },
    ]);
    expect(j.x).toEqual([0.25, 0.5, 1]);
    expect(j.ys).toEqual([
      [null, 2, 1],
      [3, 2.5, 2],
    ]);
  });
});
