/** A one-click fix the server offers (and has checked) beside the error it mends. */
import type { Fix } from '../api/wire';
import type { Graph } from './graph/types';
import { applyFix } from './store/commands';

/** `checked`: the graph the fix was computed on (the live check's, unless given). */
export function FixButton({ fix, checked }: { fix: Fix; checked?: Graph }) {
  return (
    <button
      className="small fix"
      data-testid="fix"
      title="Apply this fix (one undo step)"
      onClick={(e) => {
        e.stopPropagation();
        applyFix(fix, checked);
      }}
    >
      ✓ {fix.label}
    </button>
  );
}
