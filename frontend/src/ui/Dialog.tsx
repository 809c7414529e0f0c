/** A modal dialog (Escape or the backdrop closes it). */
import { useEffect } from 'react';

export function Dialog(props: {
  title: string;
  onClose(): void;
  children: React.ReactNode;
  wide?: boolean;
  testid?: string;
}) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [props]);
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div
        className={`dialog ${props.wide ? 'wide' : ''}`}
        role="dialog"
        aria-label={props.title}
        data-testid={props.testid}
      >
        <header>
          <h2>{props.title}</h2>
          <button className="ghost" onClick={props.onClose} aria-label="Close">
            ✕
          </button>
        </header>
        <div className="dialog-body">{props.children}</div>
      </div>
    </div>
  );
}
