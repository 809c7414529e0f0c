import { describe, expect, it } from 'vitest';
import { colourGraph, flagsOf, noStatsNote, STATS, statEpochs } from './layerStats';
import type { LayerStatsEvent } from './types';

const ev = (epoch: number, nodes: LayerStatsEvent['nodes'], seq = epoch + 1): LayerStatsEvent => ({
  type: 'layer_stats',
  epoch,
  nodes,
  seq,
  time: 1,
});
const grad = STATS.find((s) => s.key === 'grad_norm')!;
const dead = STATS.find((s) => s.key === 'dead_fraction')!;

describe('the graph as the training dashboard', () => {
  const events = [
    ev(0, { a: { grad_norm: 1 }, b: { grad_norm: 100 }, c: { grad_norm: 10 } }),
    ev(1, { a: { grad_norm: 1e-9 }, b: { grad_norm: 5e3, dead_fraction: 0.9 }, relu: { dead_fraction: 0.1 } }),
  ];

  it('colours by a statistic on a log scale, at the chosen epoch', () => {
    const c = colourGraph(events, grad, 0)!;
    expect(c.epoch).toBe(0);
    expect(c.nodes.get('a')!.heat).toBe(0);
    expect(c.nodes.get('c')!.heat).toBeCloseTo(0.5);
    expect(c.nodes.get('b')!.heat).toBe(1);
    expect(c.nodes.get('b')!.text).toBe('gradient norm 100');
    expect([c.low, c.high]).toEqual([1, 100]);
  });

  it('takes the latest epoch by default and leaves out nodes without the statistic', () => {
    const c = colourGraph(events, dead, null)!;
    expect(c.epoch).toBe(1);
    expect([...c.nodes.keys()].sort()).toEqual(['b', 'relu']);
    expect(c.nodes.get('relu')!.heat).toBe(0);
  });

  it('flags vanishing and exploding gradients and dead units, in words', () => {
    expect(flagsOf({ grad_norm: 1e-9 })[0]).toMatch(/^vanishing gradient \(norm 1\.0e-9\)/);
    const b = flagsOf({ grad_norm: 5e3, dead_fraction: 0.9 });
    expect(b[0]).toMatch(/^exploding gradient/);
    expect(b[1]).toMatch(/^90 % of units never fire/);
    expect(flagsOf({ grad_norm: 0.5, dead_fraction: 0.2 })).toEqual([]);
  });

  it('lists the epochs it has and says nothing without events', () => {
    expect(statEpochs(events)).toEqual([0, 1]);
    expect(colourGraph([], grad, null)).toBeNull();
  });
});

describe('a run without layer statistics says why', () => {
  it('asks to turn them on only when they were off', () => {
    expect(noStatsNote(false, 'running')).toMatch(/turn them on/);
    expect(noStatsNote(false, 'succeeded')).toMatch(/turn them on/);
  });
  it('waits for the first epoch end while they are on', () => {
    for (const status of ['queued', 'starting', 'running']) {
      expect(noStatsNote(true, status)).toBe('Layer statistics arrive at the end of epoch 1.');
    }
  });
  it('says a run that ended in epoch 1 ended before them', () => {
    expect(noStatsNote(true, 'cancelled')).toMatch(/ended \(cancelled\) before its first layer statistics/);
    expect(noStatsNote(true, 'failed')).not.toMatch(/turn them on/);
  });
});
