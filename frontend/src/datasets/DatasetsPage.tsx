/**
 * Image data sets (a dock tab): upload a .zip of class-named folders with the image
 * size, colour mode and validation split chosen at creation (a progress bar while it
 * goes up), and for the set chosen its class counts and a grid of thumbnails per class
 * (GET /api/datasets/{name}/samples), and what the graph's random augmentation layers make
 * of its images (AugmentPreview.tsx).
 */
import { useEffect, useState } from 'react';
import { useEditor } from '../editor/store/editor';
import { initTraining, loadDatasets, setForm, useTraining } from '../training/store';
import { experimentsApi, uploadImageSet, type ImageSetOptions, type SampleList } from '../experiments/api';
import '../experiments/experiments.css';
import { AugmentPreview } from './AugmentPreview';

const THUMBS = 8;

function ClassThumbs({ name, cls, count }: { name: string; cls: string; count: number }) {
  const [list, setList] = useState<SampleList | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    experimentsApi.samples(name, cls, THUMBS).then(
      (l) => live && setList(l),
      (e) => live && setError((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, [name, cls]);
  return (
    <div data-testid="class-thumbs" data-class={cls}>
      <div className="xp-section">
        {cls} <span className="muted">({count})</span>
      </div>
      {error && <p className="tr-bad small">{error}</p>}
      <div className="xp-thumbs">
        {list?.samples.map((s) =>
          s.thumbnail ? (
            <img key={s.file} src={s.thumbnail} alt={s.file} title={`${s.file} (${s.width}×${s.height})`} />
          ) : (
            <span key={s.file} className="tr-bad small" title={s.error ?? ''}>
              {s.file}
            </span>
          ),
        )}
      </div>
    </div>
  );
}

function Upload({ onDone }: { onDone(name: string): void }) {
  const [file, setFile] = useState<File | null>(null);
  const [o, setO] = useState<ImageSetOptions>({
    name: '',
    imageHeight: 64,
    imageWidth: 64,
    colorMode: 'rgb',
    validationSplit: 0.2,
  });
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const send = async () => {
    if (!file) return;
    setError(null);
    setProgress(0);
    try {
      const info = await uploadImageSet(file, { ...o, name: o.name || undefined }, setProgress);
      await loadDatasets();
      useEditor.getState().notify(`Uploaded image set "${info.name}"`);
      onDone(info.name);
      setFile(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
    }
  };
  const num = (k: 'imageHeight' | 'imageWidth' | 'validationSplit', label: string, step = 1) => (
    <label>
      {label}
      <input
        type="number"
        step={step}
        value={o[k]}
        onChange={(e) => setO({ ...o, [k]: Number(e.target.value) })}
        data-testid={`images-${k}`}
      />
    </label>
  );
  return (
    <div className="pad small" data-testid="images-upload">
      <div className="xp-section">New image set</div>
      <p className="muted">A .zip with one folder of images (JPEG, PNG, BMP, GIF) per class.</p>
      <input
        type="file"
        accept=".zip"
        onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        data-testid="images-file"
        aria-label="The .zip of class folders"
      />
      <div className="xp-form" style={{ marginTop: 6 }}>
        <label>
          name
          <input
            value={o.name}
            placeholder="the file's name"
            onChange={(e) => setO({ ...o, name: e.target.value })}
            data-testid="images-name"
          />
        </label>
        {num('imageHeight', 'height')}
        {num('imageWidth', 'width')}
        <label>
          colour
          <select
            value={o.colorMode}
            onChange={(e) => setO({ ...o, colorMode: e.target.value as ImageSetOptions['colorMode'] })}
            data-testid="images-color"
          >
            <option value="grayscale">grayscale</option>
            <option value="rgb">rgb</option>
            <option value="rgba">rgba</option>
          </select>
        </label>
        {num('validationSplit', 'validation split', 0.05)}
      </div>
      <button
        className="small"
        style={{ marginTop: 6 }}
        onClick={() => void send()}
        disabled={!file || progress !== null}
        data-testid="images-upload-go"
      >
        Upload
      </button>
      {progress !== null && (
        <div
          className="xp-progress"
          role="progressbar"
          aria-valuenow={Math.round(progress * 100)}
          data-testid="images-progress"
        >
          <div style={{ width: `${(progress * 100).toFixed(1)}%` }} />
        </div>
      )}
      {error && (
        <p className="tr-bad" data-testid="images-error">
          {error}
        </p>
      )}
    </div>
  );
}

export default function DatasetsPage() {
  useEffect(() => initTraining(), []);
  const sets = useTraining((s) => s.datasets).filter((d) => d.kind === 'images');
  const [chosen, setChosen] = useState<string | null>(null);
  const shown = sets.find((d) => d.name === chosen) ?? sets[0];
  return (
    <div className="xp-datasets" data-testid="datasets-page">
      <aside className="xp-list" aria-label="Image sets">
        <header className="xp-head">
          <b>Image sets</b>
        </header>
        <ul>
          {sets.map((d) => (
            <li
              key={d.name}
              className={`xp-list-item ${d === shown ? 'shown' : ''}`}
              onClick={() => setChosen(d.name)}
              data-testid="images-row"
              data-name={d.name}
            >
              <b>{d.name}</b>
              <div className="muted small">
                {(d.classes ?? []).length} classes · {Object.values(d.counts ?? {}).reduce((a, b) => a + b, 0)} images
              </div>
            </li>
          ))}
        </ul>
        <Upload onDone={setChosen} />
      </aside>
      <section className="xp-main">
        {!shown ? (
          <p className="muted pad">No image sets yet: upload a .zip of class folders on the left.</p>
        ) : (
          <div data-testid="images-set" data-name={shown.name}>
            <header className="tr-run-head">
              <b>{shown.name}</b>
              <span className="small muted">
                {shown.image_size ? `${shown.image_size[0]}×${shown.image_size[1]}` : ''} · {shown.color_mode} ·
                validation {shown.validation_split}
              </span>
              <span className="grow" />
              <button className="small" onClick={() => setForm({ dataset: shown.name })} title="Train on it">
                Use for training
              </button>
            </header>
            {(shown.warnings ?? []).map((w) => (
              <div key={w} className="banner warning small">
                {w}
              </div>
            ))}
            <table className="xp-table small" data-testid="images-counts">
              <tbody>
                {(shown.classes ?? []).map((c) => (
                  <tr key={c} data-testid="images-count" data-class={c}>
                    <td>{c}</td>
                    <td className="mono">{shown.counts?.[c] ?? 0}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <AugmentPreview key={shown.name} dataset={shown.name} />
            {(shown.classes ?? []).map((c) => (
              <ClassThumbs key={`${shown.name}/${c}`} name={shown.name} cls={c} count={shown.counts?.[c] ?? 0} />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
