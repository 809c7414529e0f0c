/** Keyboard shortcuts of the editor (ignored while typing in a field). */
import { autoLayout, copySelection, cutSelection, deleteSelection, paste, save, selectAll } from './store/commands';
import { useEditor } from './store/editor';
import { closeDiff, useDiff } from './diff/diffStore';

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export function handleShortcut(e: KeyboardEvent): boolean {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === 's') {
    void save(e.shiftKey);
    return true;
  }
  if (typing(e.target)) return false;
  if (useDiff.getState().shown) {
    // a diff covers the canvas: the graph under it is not edited from the keyboard
    if (key !== 'escape') return false;
    closeDiff();
    return true;
  }
  const s = useEditor.getState();
  if (mod && key === 'z' && !e.shiftKey) s.undo();
  else if (mod && (key === 'y' || (key === 'z' && e.shiftKey))) s.redo();
  else if (mod && key === 'c') copySelection();
  else if (mod && key === 'x') cutSelection();
  else if (mod && key === 'v') paste();
  else if (mod && key === 'a') selectAll();
  else if (mod && key === 'l') void autoLayout();
  else if (key === 'delete' || key === 'backspace') deleteSelection();
  else if (key === 'escape') {
    if (s.selection.length) s.setSelection([]);
    else if (s.path.length) s.closeSubgraph();
    else return false;
  } else return false;
  return true;
}
