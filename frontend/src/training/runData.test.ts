import { describe, expect, it } from 'vitest';
import { formatSeconds, progressOf, RunData } from './runData';
import type { RunEvent } from './types';

const ev = (x: Partial<RunEvent> & { type: string; seq: number; time: number }) => x as RunEvent;

describe('RunData', () => {
  it('folds status, batches, epochs, errors, logs and artifacts', () => {
    const d = new RunData('r');
    d.apply([
      ev({ seq: 1, time: 100, type: 'status', status: 'queued' }),
      ev({ seq: 2, time: 101, type: 'status', status: 'running' }),
      ev({ seq: 3, time: 103, type: 'batch', epoch: 0, epochs: 4, batch: 4, batches: 10, metrics: { loss: 2 } }),
      ev({ seq: 4, time: 103, type: 'log', level: 'warning', message: 'labels were one-hot' }),
      ev({
        seq: 5,
        time: 104,
        type: 'error',
        code: 'nan_loss',
        message: 'loss became NaN',
        node: 'dense_1',
        epoch: 0,
        batch: 5,
      }),
      ev({ seq: 6, time: 104, type: 'artifact', name: 'model.keras', size: 10 }),
      ev({
        seq: 7,
        time: 105,
        type: 'status',
        status: 'failed',
        error: { code: 'nan_loss', message: 'loss became NaN' },
      }),
    ]);
    expect(d.status).toBe('failed');
    expect(d.startedAt).toBe(101);
    expect(d.errors.map((e) => e.node)).toEqual(['dense_1']);
    expect(d.logs).toHaveLength(1);
    expect(d.artifacts).toEqual(['model.keras']);
    expect(d.points).toBe(1);
    expect(d.events).toBe(7);
  });

  it('keeps what each adapted preprocessing node learned, for its inspector', () => {
    const d = new RunData('r');
    const vectorize = {
      type: 'adapted' as const,
      node: 'vectorize',
      layer: 'vectorize',
      layer_type: 'TextVectorization',
      seconds: 0.4,
      vocabulary_size: 44,
      top_tokens: ['the', 'a'],
    };
    const norm = { type: 'adapted' as const, node: 'norm', layer: 'norm', layer_type: 'Normalization', seconds: 0.1 };
    d.apply([
      ev({ seq: 1, time: 100, ...vectorize }),
      ev({ seq: 2, time: 100, ...norm, mean: [0.5], variance: [2] }),
      ev({ seq: 3, time: 101, type: 'epoch', epoch: 0, epochs: 1, metrics: { loss: 1 } }),
    ]);
    expect(d.adapted.map((a) => [a.node, a.vocabulary_size ?? null, a.mean ?? null])).toEqual([
      ['vectorize', 44, null],
      ['norm', null, [0.5]],
    ]);
  });
});

describe('progressOf', () => {
  it('is null before any batch', () => {
    expect(progressOf(new RunData('r'))).toBeNull();
  });

  it('gives the fraction of all batches and a time left at the pace since the first batch', () => {
    const d = new RunData('r');
    d.apply([
      ev({ seq: 1, time: 100, type: 'status', status: 'running' }),
      // 30 s of start-up (build, tracing) before the first batch: not the pace
      ev({ seq: 2, time: 130, type: 'batch', epoch: 0, epochs: 4, batch: 0, batches: 10, metrics: {} }),
      ev({ seq: 3, time: 144, type: 'batch', epoch: 1, epochs: 4, batch: 4, batches: 10, metrics: {} }),
    ]);
    const p = progressOf(d)!;
    expect(p.epoch).toBe(1);
    expect(p.batch).toBe(4);
    expect(p.fraction).toBeCloseTo(1.5 / 4);
    expect(p.elapsedS).toBe(44);
    // 14 batches in 14 s; 25 left
    expect(p.leftS).toBeCloseTo(25);
  });

  it('does not guess the time left at batch 1 (the start-up would make it hours)', () => {
    const d = new RunData('r');
    d.apply([
      ev({ seq: 1, time: 100, type: 'status', status: 'running' }),
      ev({ seq: 2, time: 112, type: 'batch', epoch: 0, epochs: 5, batch: 0, batches: 1000, metrics: {} }),
    ]);
    expect(progressOf(d)!.leftS).toBeNull();
    d.apply([ev({ seq: 3, time: 112.01, type: 'batch', epoch: 0, epochs: 5, batch: 3, batches: 1000, metrics: {} })]);
    expect(progressOf(d)!.leftS).toBeNull();
    d.apply([ev({ seq: 4, time: 112.1, type: 'batch', epoch: 0, epochs: 5, batch: 10, batches: 1000, metrics: {} })]);
    // 10 batches in 0.1 s: 4,989 left, about 50 s (not the 1 h 18 min that 12 s of start-up made)
    expect(progressOf(d)!.leftS).toBeCloseTo(49.89, 1);
  });

  it('counts an epoch as done once its epoch event arrived, and is complete on success', () => {
    const d = new RunData('r');
    d.apply([
      ev({ seq: 1, time: 0, type: 'status', status: 'running' }),
      ev({ seq: 2, time: 5, type: 'batch', epoch: 0, epochs: 2, batch: 8, batches: 10, metrics: {} }),
      ev({ seq: 3, time: 6, type: 'epoch', epoch: 0, epochs: 2, metrics: { loss: 1 } }),
    ]);
    expect(progressOf(d)!.fraction).toBe(0.5);
    expect(progressOf(d)!.batch).toBe(9);
    d.apply([ev({ seq: 4, time: 12, type: 'status', status: 'succeeded' })]);
    expect(progressOf(d)!.fraction).toBe(1);
    expect(progressOf(d)!.leftS).toBe(0);
  });

  it('formats durations', () => {
    expect([null, 0.2, 12.4, 125, 7300].map(formatSeconds)).toEqual(['–', '<1 s', '12 s', '2 min 5 s', '2 h 2 min']);
  });
});
