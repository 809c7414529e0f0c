/**
 * A graph's JSON text, exactly as JSON.stringify writes it, reusing the text of every
 * graph, node list, node, edge and layout object written before. The editor's graphs
 * are immutable and an edit shares every object it does not touch, so the text of a
 * 1,000-node graph (the body of each check, the draft) costs only what changed.
 */
import type { Graph } from './types';

const texts = new WeakMap<object, string>();

/** JSON.stringify(value), remembered for an object (undefined: a field JSON leaves out). */
function textOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

function listText(items: readonly unknown[]): string {
  let text = texts.get(items);
  if (text === undefined) {
    text = `[${items.map((v) => textOf(v) ?? 'null').join(',')}]`;
    texts.set(items, text);
  }
  return text;
}

export function graphJson(graph: Graph): string {
  let text = texts.get(graph);
  if (text !== undefined) return text;
  const fields: string[] = [];
  for (const [key, value] of Object.entries(graph)) {
    let field: string | undefined;
    if ((key === 'nodes' || key === 'edges') && Array.isArray(value)) field = listText(value);
    else if (key === 'subgraphs' && value && typeof value === 'object')
      field = `{${Object.entries(value as Record<string, Graph>)
        .map(([name, sub]) => `${JSON.stringify(name)}:${graphJson(sub)}`)
        .join(',')}}`;
    else field = textOf(value);
    if (field !== undefined) fields.push(`${JSON.stringify(key)}:${field}`);
  }
  text = `{${fields.join(',')}}`;
  texts.set(graph, text);
  return text;
}
