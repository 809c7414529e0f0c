import { describe, expect, it } from 'vitest';
import { CHART_CHROME, chartGrid, MAX_PLOT, MIN_PLOT } from './chartGrid';

/** The height `n` charts take in `columns` columns (10 px gaps). */
const used = (n: number, g: { columns: number; plotHeight: number }) => {
  const rows = Math.ceil(n / g.columns);
  return rows * (g.plotHeight + CHART_CHROME) + (rows - 1) * 10;
};

describe('chartGrid', () => {
  it('one chart takes the full width at its largest height', () => {
    expect(chartGrid(1, 400, 600)).toEqual({ columns: 1, plotHeight: MAX_PLOT });
  });

  it('six charts in a short, narrow box all fit, side by side', () => {
    const g = chartGrid(6, 460, 280);
    expect(g.columns).toBe(3);
    expect(g.plotHeight).toBeGreaterThanOrEqual(MIN_PLOT);
    expect(used(6, g)).toBeLessThanOrEqual(280);
  });

  it('charts that cannot all fit get the smallest size (the box scrolls)', () => {
    expect(chartGrid(40, 320, 200)).toEqual({ columns: 2, plotHeight: MIN_PLOT });
  });

  it('a wide box prefers more columns to tiny rows', () => {
    const g = chartGrid(4, 1200, 260);
    expect(g.columns).toBe(4);
    expect(used(4, g)).toBeLessThanOrEqual(260);
  });
});
