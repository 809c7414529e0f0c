/**
 * Pretrained backbones: a keras.applications model as a graph (POST
 * /api/models/applications), with random weights or ImageNet's. ImageNet weights come
 * from the server's Keras cache or a download; a server that has neither says so, and
 * that message is shown as it is.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import type { ApplicationRequest } from '../../api/wire';
import { withWeights } from '../graph/weights';
import { openImported } from './openGraph';

/** `224, 224, 3` -> [224, 224, 3]; blank -> null (the model's own). */
export function shapeOf(text: string): number[] | null | string {
  if (!text.trim()) return null;
  const dims = text
    .split(/[\s,x×]+/)
    .filter(Boolean)
    .map(Number);
  return dims.every((d) => Number.isInteger(d) && d > 0) ? dims : 'the input shape is whole numbers, e.g. 224, 224, 3';
}

export function Backbones({ onDone }: { onDone(): void }) {
  const [names, setNames] = useState<string[] | null>(null);
  const [name, setName] = useState('MobileNetV2');
  const [weights, setWeights] = useState<'none' | 'imagenet'>('none');
  const [includeTop, setIncludeTop] = useState(false);
  const [shape, setShape] = useState('224, 224, 3');
  const [pooling, setPooling] = useState<'' | 'avg' | 'max'>('avg');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.applications().then(setNames, (e) => setError((e as Error).message));
  }, []);
  const open = async () => {
    const inputShape = shapeOf(shape);
    if (typeof inputShape === 'string') return setError(inputShape);
    const body: ApplicationRequest = {
      name,
      weights: weights === 'imagenet' ? 'imagenet' : null,
      include_top: includeTop,
      input_shape: inputShape,
      pooling: includeTop || !pooling ? null : pooling,
    };
    setBusy(true);
    setError(null);
    try {
      const { graph, weights: set } = await api.application(body);
      const what = set ? `${name} with ImageNet weights` : `${name} (random weights)`;
      if (openImported(withWeights(graph, set), what)) onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!names && !error) return <p className="muted">Loading…</p>;
  return (
    <div className="backbones" data-testid="backbones">
      <div className="field">
        <label htmlFor="backbone-name">model</label>
        <select id="backbone-name" value={name} onChange={(e) => setName(e.target.value)} data-testid="backbone-name">
          {(names ?? []).map((n) => (
            <option key={n}>{n}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="backbone-weights">weights</label>
        <select
          id="backbone-weights"
          value={weights}
          onChange={(e) => setWeights(e.target.value as 'none' | 'imagenet')}
          data-testid="backbone-weights"
        >
          <option value="none">random (the architecture only)</option>
          <option value="imagenet">ImageNet (pretrained; the server needs them in its Keras cache or a network)</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="backbone-shape">input shape</label>
        <input
          id="backbone-shape"
          value={shape}
          onChange={(e) => setShape(e.target.value)}
          placeholder="the model's own"
          data-testid="backbone-shape"
        />
      </div>
      <div className="field inline">
        <input
          id="backbone-top"
          type="checkbox"
          checked={includeTop}
          onChange={(e) => setIncludeTop(e.target.checked)}
        />
        <label htmlFor="backbone-top">include the ImageNet classifier (1,000 classes) on top</label>
      </div>
      {!includeTop && (
        <div className="field">
          <label htmlFor="backbone-pooling">pooling</label>
          <select
            id="backbone-pooling"
            value={pooling}
            onChange={(e) => setPooling(e.target.value as '' | 'avg' | 'max')}
          >
            <option value="">none (a feature map)</option>
            <option value="avg">average</option>
            <option value="max">max</option>
          </select>
        </div>
      )}
      <button disabled={busy || !names} onClick={open} data-testid="backbone-open">
        {busy ? 'Making the model…' : `Open ${name}`}
      </button>
      {error && (
        <div className="banner error" data-testid="backbone-error">
          {error}
        </div>
      )}
    </div>
  );
}
