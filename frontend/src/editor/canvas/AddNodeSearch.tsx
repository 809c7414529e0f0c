/** The search-and-add box opened by double-clicking the canvas. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { searchLayers } from '../palette/catalogue';
import { useEditor } from '../store/editor';

export function AddNodeSearch(props: { x: number; y: number; onPick(type: string): void; onClose(): void }) {
  const catalogue = useEditor((s) => s.catalogue);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const hits = useMemo(() => searchLayers(catalogue, query).slice(0, 12), [catalogue, query]);
  useEffect(() => input.current?.focus(), []);
  useEffect(() => setActive(0), [query]);
  return (
    <div className="add-search" style={{ left: props.x, top: props.y }} data-testid="add-search">
      <input
        ref={input}
        placeholder="Add a layer…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onClose();
          else if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, hits.length - 1));
          else if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
          else if (e.key === 'Enter' && hits[active]) props.onPick(hits[active].type);
          else return;
          e.preventDefault();
        }}
      />
      <ul>
        {hits.map((l, i) => (
          <li
            key={l.type}
            className={i === active ? 'active' : ''}
            onMouseEnter={() => setActive(i)}
            onMouseDown={(e) => {
              e.preventDefault();
              props.onPick(l.type);
            }}
          >
            <b>{l.type}</b> <span className="muted">{l.description}</span>
          </li>
        ))}
        {!hits.length && <li className="muted">No layer matches “{query}”.</li>}
      </ul>
    </div>
  );
}
