/**
 * Under a training-only node (a random augmentation): preview the graph's augmentation on
 * an image set, in a dialog (datasets/AugmentPreview.tsx). The set is the training form's
 * when it holds images, else the first image set; a select picks another. Loaded lazily:
 * it reads the training store.
 */
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { AugmentPreview } from '../../datasets/AugmentPreview';
import { initTraining, useTraining } from '../../training/store';
import { Dialog } from '../../ui/Dialog';

export default function AugmentPanel() {
  useEffect(() => initTraining(), []);
  const sets = useTraining(useShallow((s) => s.datasets.filter((d) => d.kind === 'images').map((d) => d.name)));
  const formSet = useTraining((s) => s.form.dataset);
  const [chosen, setChosen] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const dataset = chosen && sets.includes(chosen) ? chosen : sets.includes(formSet) ? formSet : sets[0];
  return (
    <fieldset className="inner" data-testid="augment-panel">
      <legend>Augmentation</legend>
      {!dataset ? (
        <p className="muted small" data-testid="augment-no-images">
          No image set to preview it on: upload a .zip of class folders in the Image sets tab.
        </p>
      ) : (
        <div className="field">
          <label htmlFor="augment-dataset">image set</label>
          <select id="augment-dataset" value={dataset} onChange={(e) => setChosen(e.target.value)}>
            {sets.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </div>
      )}
      {dataset && (
        <button className="small" onClick={() => setOpen(true)} data-testid="augment-open">
          Preview augmentation
        </button>
      )}
      {open && dataset && (
        <Dialog title={`Augmentation on ${dataset}`} onClose={() => setOpen(false)} wide testid="augment-dialog">
          <AugmentPreview dataset={dataset} start />
        </Dialog>
      )}
    </fieldset>
  );
}
