/**
 * The checks of the sub-graphs whose Model nodes are open in place, so their layers show
 * shapes and parameters: one `POST /api/graphs/validate` of each such sub-graph, again
 * whenever it changes.
 */
import { useEffect, useMemo, useState } from 'react';
import { api } from '../../api/client';
import { openable } from '../graph/inPlace';
import type { Graph, ValidateAnswer } from '../graph/types';
import { graphToValidate, useEditor } from '../store/editor';

export function useInsideAnswers(graph: Graph): ReadonlyMap<string, ValidateAnswer> {
  const root = useEditor((s) => s.root);
  const [checked, setChecked] = useState(new Map<string, { sub: Graph; answer: ValidateAnswer }>());
  const names = useMemo(() => {
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const found = (graph.layout.open ?? []).map((id) => byId.get(id)).map((n) => n && openable(graph, n));
    return [...new Set(found.filter((n): n is string => !!n))];
  }, [graph]);
  const key = names.join('\n');
  useEffect(() => {
    let live = true;
    for (const name of names) {
      const sub = root.subgraphs[name];
      if (!sub || checked.get(name)?.sub === sub) continue;
      api.validate(graphToValidate(root, [name])).then(
        (answer) => live && setChecked((m) => new Map(m).set(name, { sub, answer })),
        () => undefined, // shown without shapes; the next change asks again
      );
    }
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for `names`; `checked` is read, not watched
  }, [root, key]);
  return useMemo(() => new Map([...checked].map(([name, c]) => [name, c.answer])), [checked]);
}
