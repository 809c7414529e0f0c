import { describe, expect, it } from 'vitest';
import { axesOf, dimensionAxis, dimensionLabel, objectiveAxis, trialLine } from './parallel';

describe('dimensionLabel', () => {
  it('names a node parameter by node and parameter, a setting by its path', () => {
    expect(dimensionLabel('/graph/nodes/dense_1/params/units')).toBe('dense_1.units');
    expect(dimensionLabel('/settings/optimizer/learning_rate')).toBe('optimizer.learning_rate');
    expect(dimensionLabel('/graph/nodes/a~1b/params/rate')).toBe('a/b.rate');
  });
});

describe('axes', () => {
  it('linear, log and choice axes place values between 0 and 1', () => {
    const lin = dimensionAxis('/p', { low: 10, high: 20 });
    expect(lin.place(15)).toBe(0.5);
    expect(lin.place('x')).toBeNull();
    const log = dimensionAxis('/p', { low: 1e-3, high: 1e-1, log: true });
    expect(log.place(1e-2)).toBeCloseTo(0.5, 10);
    expect(log.ticks.map((t) => t.text)).toEqual(['1.0e-3', '0.01', '0.1']);
    const ch = dimensionAxis('/p', { choices: ['relu', 'tanh', 'gelu'] });
    expect([ch.place('relu'), ch.place('tanh'), ch.place('gelu'), ch.place('elu')]).toEqual([0, 0.5, 1, null]);
  });
  it('the objective axis puts the best value on top, minimising or maximising', () => {
    const trials = [
      { number: 0, run_id: 'a', params: {}, value: 1, state: 'complete' as const },
      { number: 1, run_id: 'b', params: {}, value: 3, state: 'complete' as const },
    ];
    const min = objectiveAxis({ objective: { metric: 'val_loss', direction: 'minimize' }, trials });
    expect([min.place(1), min.place(3)]).toEqual([1, 0]);
    const max = objectiveAxis({ objective: { metric: 'val_accuracy', direction: 'maximize' }, trials });
    expect([max.place(1), max.place(3)]).toEqual([0, 1]);
  });
  it('a trial is a line through its params and, once it has one, its value', () => {
    const sweep = {
      space: { '/a': { low: 0, high: 10 }, '/b': { choices: [1, 2] } },
      objective: { metric: 'loss', direction: 'minimize' as const },
      trials: [
        { number: 0, run_id: 'a', params: { '/a': 5, '/b': 2 }, value: 0.5, state: 'complete' as const },
        { number: 1, run_id: 'b', params: { '/a': 0, '/b': 1 }, value: null, state: 'running' as const },
      ],
    };
    const axes = axesOf(sweep);
    expect(axes.map((a) => a.label)).toEqual(['a', 'b', 'loss']);
    expect(trialLine(axes, sweep.trials[0])).toEqual([0.5, 1, 0.5]);
    expect(trialLine(axes, sweep.trials[1])).toEqual([0, 0, null]);
  });
});
