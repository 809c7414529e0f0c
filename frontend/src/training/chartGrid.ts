/**
 * How a run's charts share the room the dashboard has, so every chart is in view without
 * scrolling (at 1440×900 too): the column count that gives the largest charts, each at
 * least MIN_WIDTH wide with a plot at least MIN_PLOT high; when even that cannot hold
 * them all, the smallest charts, and the box scrolls.
 */

/** Title row, padding and border of a chart box around its plot (one legend serves all). */
export const CHART_CHROME = 30;
export const MIN_WIDTH = 140;
export const MIN_PLOT = 50;
export const MAX_PLOT = 150;
const GAP = 10;

export interface ChartGrid {
  columns: number;
  /** The height of each uPlot plot (axes included). */
  plotHeight: number;
}

export function chartGrid(count: number, width: number, height: number): ChartGrid {
  let best: (ChartGrid & { score: number }) | null = null;
  const maxColumns = Math.max(1, Math.floor((width + GAP) / (MIN_WIDTH + GAP)));
  for (let columns = 1; columns <= Math.min(count, maxColumns); columns++) {
    const rows = Math.ceil(count / columns);
    const w = (width - GAP * (columns - 1)) / columns;
    const plot = Math.floor((height - GAP * (rows - 1)) / rows - CHART_CHROME);
    if (plot < MIN_PLOT) continue;
    const plotHeight = Math.min(MAX_PLOT, plot);
    // the larger of the two sides that limits a chart's readability
    const score = Math.min(w, plotHeight * 2);
    if (!best || score > best.score) best = { columns, plotHeight, score };
  }
  if (best) return { columns: best.columns, plotHeight: best.plotHeight };
  return { columns: maxColumns, plotHeight: MIN_PLOT };
}
