/** Every error and warning of the last check; clicking one brings its node into view, and
 * a fix the server offers (and has checked) is one click beside its error. */
import { FixButton } from './FixButton';
import { addLayerAt } from './canvas/dropToAdd';
import { distinctFixes, outputCandidates } from './problemActions';
import { checkedAnswer, useEditor } from './store/editor';

/** Add an Output after node `id`, wired to its first output. */
function addOutputAfter(id: string) {
  useEditor.getState().setSelection([id]);
  addLayerAt('Output');
}

/** Bring a problem's node into view; "block/dense" names node dense inside sub-graph block. */
function focusProblem(node: string) {
  const s = useEditor.getState();
  const parts = node.split('/');
  if (parts.length > 1 && s.root.subgraphs[parts[0]]) {
    s.closeSubgraph(s.path.length);
    for (const name of parts.slice(0, -1))
      if (useEditor.getState().root.subgraphs[name]) useEditor.getState().openSubgraph(name);
    setTimeout(() => useEditor.getState().focusNode(parts[parts.length - 1]), 150);
  } else s.focusNode(node);
}

export function ProblemsPanel() {
  const v = useEditor(checkedAnswer);
  const error = useEditor((s) => s.validationError);
  const checked = useEditor((s) => s.validatedGraph);
  const problems = [
    ...(v?.errors ?? []).map((p) => ({ ...p, level: 'error' })),
    ...(v?.warnings ?? []).map((p) => ({ ...p, level: 'warning' })),
  ];
  return (
    <div className="problems" data-testid="problems">
      {error && <div className="banner error small">Checking failed: {error}</div>}
      {!error && problems.length === 0 && (
        <p className="muted pad">{v ? 'No problems: Keras accepts this graph.' : 'Not checked yet.'}</p>
      )}
      <ul>
        {problems.map((p, i) => (
          <li
            key={i}
            className={`problem ${p.level}`}
            onClick={() => p.node && focusProblem(p.node)}
            data-testid="problem"
          >
            <span className="problem-icon">{p.level === 'error' ? '●' : '▲'}</span>
            {p.node && <code>{p.node}</code>}
            {p.param && <code className="muted">{p.param}</code>}
            <span>{p.message}</span>
            <span className="muted small">{p.code}</span>
            {distinctFixes(p.fixes).map((fix) => (
              <FixButton key={fix.label} fix={fix} />
            ))}
            {checked &&
              outputCandidates(checked, p).map((id) => (
                <button
                  key={id}
                  className="small fix"
                  data-testid="add-output"
                  onClick={(e) => {
                    e.stopPropagation();
                    addOutputAfter(id);
                  }}
                >
                  ＋ Output after {id}
                </button>
              ))}
          </li>
        ))}
      </ul>
    </div>
  );
}
