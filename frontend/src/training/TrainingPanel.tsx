/**
 * The training dashboard (owned by the training-dashboard helper, who replaces this file).
 * It gets the graph to train from the editor store: `useEditor((s) => s.root)` in
 * `../store/editor`, and may show toasts with `useEditor.getState().notify(text)`.
 */
import { useEditor } from '../store/editor';

export default function TrainingPanel() {
  const nodes = useEditor((s) => s.root.nodes.length);
  return (
    <div className="training-panel" data-testid="training-panel">
      <p className="muted">Training dashboard: {nodes} nodes ready to train.</p>
    </div>
  );
}
