/** The layer palette: the server's catalogue by category, searchable, draggable. */
import { memo, useMemo, useState } from 'react';
import { groupByCategory, searchLayers } from './catalogue';
import type { LayerSpec } from '../graph/types';
import { categoryColour } from '../canvas/colours';
import { useEditor } from '../store/editor';
import { addLayerAt, DRAG_MIME } from '../canvas/dropToAdd';
import { SubgraphList } from './SubgraphList';

const PaletteItem = memo(function PaletteItem({ spec, colour }: { spec: LayerSpec; colour: string }) {
  return (
    <li>
      <div
        className="palette-item"
        draggable
        data-testid={`palette-${spec.type}`}
        title={spec.description}
        tabIndex={0}
        role="button"
        onClick={() => addLayerAt(spec.type)}
        onKeyDown={(e) => {
          if (e.key !== 'Enter' && e.key !== ' ') return;
          e.preventDefault();
          addLayerAt(spec.type);
        }}
        onDragStart={(e) => {
          e.dataTransfer.setData(DRAG_MIME, spec.type);
          e.dataTransfer.effectAllowed = 'copy';
        }}
      >
        <span className="dot" style={categoryColour(colour)} />
        <span className="palette-type">{spec.type}</span>
        <span className="palette-desc">{spec.description}</span>
      </div>
    </li>
  );
});

export function Palette() {
  const catalogue = useEditor((s) => s.catalogue);
  const categories = useEditor((s) => s.categories);
  const error = useEditor((s) => s.catalogueError);
  const [query, setQuery] = useState('');
  // the first answer waits for the server to import Keras: seconds on a cold start
  const loading = !catalogue.length && !error;
  const [closed, setClosed] = useState<Set<string>>(new Set());
  const groups = useMemo(
    () =>
      groupByCategory(
        searchLayers(
          catalogue.filter((l) => l.type !== 'Model'),
          query,
        ),
        categories,
      ),
    [catalogue, categories, query],
  );
  return (
    <aside className="palette" data-testid="palette">
      <input
        className="search"
        type="search"
        placeholder={loading ? 'Loading layers…' : `Search ${catalogue.length} layers…`}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="palette-search"
      />
      {error && <div className="banner error">Layer catalogue unavailable: {error}</div>}
      {loading && (
        <p className="muted pad" data-testid="palette-loading" role="status">
          <span className="spinner" /> Loading the layer catalogue (the server starts Keras on its first request)…
        </p>
      )}
      <div className="palette-scroll" tabIndex={0} role="region" aria-label="Layers">
        <SubgraphList />
        {groups.map(([category, layers]) => {
          const cat = category.id;
          const open = query !== '' || !closed.has(cat);
          return (
            <section key={cat} className="palette-group">
              <h3
                onClick={() =>
                  setClosed((c) => {
                    const n = new Set(c);
                    if (n.has(cat)) n.delete(cat);
                    else n.add(cat);
                    return n;
                  })
                }
              >
                <span>{open ? '▾' : '▸'}</span> {category.title} <span className="muted">{layers.length}</span>
              </h3>
              {open && (
                <ul>
                  {layers.map((l) => (
                    <PaletteItem key={l.type} spec={l} colour={category.colour} />
                  ))}
                </ul>
              )}
            </section>
          );
        })}
        {!groups.length && catalogue.length > 0 && <p className="muted pad">No layer matches “{query}”.</p>}
      </div>
    </aside>
  );
}
