/**
 * Two runs' curves side by side with their diff: the training page's charts (run A
 * solid, run B dashed), their events loaded and followed as the training page does.
 */
import { useEffect } from 'react';
import RunCharts from '../../training/RunCharts';
import { watchRun } from '../../training/store';

export default function RunCurves({ a, b }: { a: string; b: string }) {
  useEffect(() => {
    watchRun(a);
    watchRun(b);
  }, [a, b]);
  return (
    <section className="diff-curves" data-testid="diff-curves">
      <h3>
        Curves: run {a.slice(0, 8)} (A, solid) and run {b.slice(0, 8)} (B, dashed)
      </h3>
      <div className="diff-charts">
        <RunCharts viewId={a} compareId={b} />
      </div>
    </section>
  );
}
