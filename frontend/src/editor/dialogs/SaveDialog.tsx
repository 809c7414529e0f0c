/**
 * What Save asks: a name for a graph saved the first time (or as a copy), and, when
 * someone saved a version since this one was opened, whether to reload theirs or save
 * this one as a copy (nothing of either is lost).
 */
import { useState } from 'react';
import { Dialog } from '../../ui/Dialog';
import { reloadTheirs, saveNamed } from '../store/commands';
import { useEditor, type SavePrompt } from '../store/editor';

function NameForm({ initial, onClose }: { initial: string; onClose(): void }) {
  const [name, setName] = useState(initial);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    if (await saveNamed(name.trim())) onClose();
    else setBusy(false);
  };
  return (
    <form onSubmit={(e) => void submit(e)}>
      <div className="field">
        <label htmlFor="save-name">name</label>
        <input
          id="save-name"
          value={name}
          autoFocus
          onFocus={(e) => e.target.select()}
          onChange={(e) => setName(e.target.value)}
          data-testid="save-name"
        />
      </div>
      <div className="button-row">
        <button type="submit" disabled={busy || !name.trim()} data-testid="save-confirm">
          Save
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Conflict({ prompt, onClose }: { prompt: Extract<SavePrompt, { kind: 'conflict' }>; onClose(): void }) {
  const who = prompt.savedBy ?? 'Someone';
  const name = prompt.saved.name;
  return (
    <>
      <p data-testid="save-conflict-message">
        {who} saved version {prompt.latest} of “{name}” since you opened version{' '}
        {prompt.saved.base ?? prompt.saved.version}. Your changes are not saved yet: reload theirs (yours are dropped),
        or save yours as a copy.
      </p>
      <div className="button-row">
        <button
          onClick={() => {
            onClose();
            void reloadTheirs(prompt.saved);
          }}
          data-testid="conflict-reload"
        >
          Reload theirs
        </button>
        <button
          onClick={() => useEditor.getState().setSavePrompt({ kind: 'name', name: `${name} (my copy)` })}
          data-testid="conflict-copy"
        >
          Save mine as a copy
        </button>
        <button onClick={onClose}>Cancel</button>
      </div>
    </>
  );
}

export function SaveDialog() {
  const prompt = useEditor((s) => s.savePrompt);
  if (!prompt) return null;
  const close = () => useEditor.getState().setSavePrompt(null);
  return (
    <Dialog
      title={prompt.kind === 'name' ? 'Save as' : 'Someone saved this graph since'}
      onClose={close}
      testid="save-dialog"
    >
      {prompt.kind === 'name' ? (
        <NameForm key={prompt.name} initial={prompt.name} onClose={close} />
      ) : (
        <Conflict prompt={prompt} onClose={close} />
      )}
    </Dialog>
  );
}
