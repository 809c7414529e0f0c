/** Exported Python, highlighted (highlight.js core + python, loaded with this chunk), with copy. */
import hljs from 'highlight.js/lib/core';
import python from 'highlight.js/lib/languages/python';
import 'highlight.js/styles/github.css';
import { useEffect, useMemo, useState } from 'react';
import { api } from '../../api/client';
import { graphForExport } from '../store/commands';
import { Dialog } from '../../ui/Dialog';

hljs.registerLanguage('python', python);

export default function CodeDialog({ onClose }: { onClose(): void }) {
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    api.exportPython(graphForExport()).then(setCode, (e) => setError((e as Error).message));
  }, []);
  const html = useMemo(() => (code ? hljs.highlight(code, { language: 'python' }).value : ''), [code]);
  const copy = async () => {
    if (!code) return;
    try {
      await navigator.clipboard.writeText(code);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = code;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  const download = () => {
    if (!code) return;
    const url = URL.createObjectURL(new Blob([code], { type: 'text/x-python' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'model.py';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Dialog title="Python code" onClose={onClose} wide testid="code-dialog">
      {error && <div className="banner error">{error}</div>}
      {!code && !error && <p className="muted">Generating…</p>}
      {code && (
        <>
          <div className="button-row">
            <button onClick={copy} data-testid="copy-code">
              {copied ? 'Copied ✓' : 'Copy'}
            </button>
            <button onClick={download}>Download model.py</button>
          </div>
          <pre className="code hljs" data-testid="python-code">
            <code dangerouslySetInnerHTML={{ __html: html }} />
          </pre>
        </>
      )}
    </Dialog>
  );
}
