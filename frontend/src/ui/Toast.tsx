import { useEffect, useState } from 'react';
import { useEditor } from '../editor/store/editor';

export function Toast() {
  const toast = useEditor((s) => s.toast);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    if (!toast) return;
    setVisible(true);
    // long enough to read: longer notes stay longer, errors longest
    const readMs = Math.min(10_000, 1500 + toast.text.length * 45);
    const t = setTimeout(() => setVisible(false), toast.kind === 'error' ? Math.max(6000, readMs) : readMs);
    return () => clearTimeout(t);
  }, [toast]);
  if (!toast || !visible) return null;
  return (
    <div className={`toast ${toast.kind}`} role="status" data-testid="toast">
      {toast.text}
    </div>
  );
}
