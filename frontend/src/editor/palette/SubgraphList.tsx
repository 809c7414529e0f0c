/** The graph's reusable models (sub-graphs): open, place again, place inside TimeDistributed. */
import { placeSubgraph } from '../graph/transforms';
import { useEditor } from '../store/editor';

function placeAt(name: string, wrapper?: string) {
  const s = useEditor.getState();
  let id = '';
  s.edit((g) => {
    const n = g.nodes.length;
    const r = placeSubgraph(g, name, { x: 40 + (n % 5) * 40, y: 40 + (n % 5) * 40 }, wrapper);
    id = r.id;
    return r.graph;
  });
  if (id) s.setSelection([id]);
}

export function SubgraphList() {
  const subgraphs = useEditor((s) => s.root.subgraphs);
  const path = useEditor((s) => s.path);
  const names = Object.keys(subgraphs);
  if (!names.length) return null;
  return (
    <section className="palette-group" data-testid="subgraph-list">
      <h3>Models in this graph</h3>
      <ul>
        {names.map((name) => (
          <li key={name} className="palette-item subgraph-item">
            <span className="dot cat-models" />
            <span className="palette-type">{name}</span>
            <span className="palette-desc">{subgraphs[name].nodes.length} nodes</span>
            <span className="item-actions">
              <button onClick={() => useEditor.getState().openSubgraph(name)} disabled={path.includes(name)}>
                Open
              </button>
              <button
                onClick={() => placeAt(name)}
                disabled={path.includes(name)}
                title="Use it again: shares its weights"
              >
                Place
              </button>
              <button onClick={() => placeAt(name, 'TimeDistributed')} disabled={path.includes(name)}>
                In TimeDistributed
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
