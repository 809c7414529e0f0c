/**
 * A graph's augmentation drawn on an image set (POST /api/datasets/{name}/augment-preview):
 * a few images of the set, each as a run reads it beside what the graph's training-only
 * layers (RandomFlip, RandomRotation, ...) make of it. Each press draws new random
 * augmentations of the graph as it is now; a refusal (not an image set, no augmentation
 * layer, a layer with errors) shows the server's words.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { http, unwrap } from '../api/client';
import type { components } from '../api/schema';
import type { Readable } from 'openapi-typescript-helpers';
import { useEditor } from '../editor/store/editor';
import './datasets.css';

export type AugmentAnswer = Readable<components['schemas']['AugmentPreview']>;

/** How many images a preview draws. */
export const PREVIEW_IMAGES = 8;

export function augmentPreview(name: string, n = PREVIEW_IMAGES): Promise<AugmentAnswer> {
  return unwrap(
    http.POST('/api/datasets/{name}/augment-preview', {
      params: { path: { name } },
      body: { graph: useEditor.getState().root, n, size: 96 },
    }),
  );
}

type Load =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'done'; preview: AugmentAnswer };

function PreviewGrid({ preview }: { preview: AugmentAnswer }) {
  const nodes = useEditor((s) => s.root.nodes);
  const label = (id: string) => {
    const node = nodes.find((n) => n.id === id);
    return node ? `${node.type}${node.name ? ` “${node.name}”` : ''}` : id;
  };
  return (
    <>
      <p className="muted small" data-testid="augment-layers">
        Through {preview.layers.map(label).join(' → ')}; each pair is the image as a run reads it, then augmented.
      </p>
      <div className="ds-augment-grid" data-testid="augment-grid">
        {preview.samples.map((s, i) => (
          <figure key={`${s.file}-${i}`} className="ds-augment-pair" data-testid="augment-sample">
            <img src={s.original} alt={`${s.file}, original`} data-testid="augment-original" />
            <img src={s.augmented} alt={`${s.file}, augmented`} data-testid="augment-augmented" />
            <figcaption className="small muted" title={s.file}>
              {s.class}
            </figcaption>
          </figure>
        ))}
      </div>
    </>
  );
}

/** The preview of `dataset`; `start` draws one at once (a dialog opened for it). */
export function AugmentPreview({ dataset, start = false }: { dataset: string; start?: boolean }) {
  const [load, setLoad] = useState<Load>({ kind: 'idle' });
  const ticket = useRef(0);
  const draw = useCallback(async () => {
    const mine = ++ticket.current; // only the last press's answer is drawn
    setLoad({ kind: 'loading' });
    try {
      const preview = await augmentPreview(dataset);
      if (mine === ticket.current) setLoad({ kind: 'done', preview });
    } catch (e) {
      if (mine === ticket.current) setLoad({ kind: 'error', message: (e as Error).message });
    }
  }, [dataset]);
  useEffect(() => {
    if (start) void draw();
  }, [start, draw]);
  return (
    <div className="ds-augment" data-testid="augment-preview" data-dataset={dataset} data-state={load.kind}>
      <button
        className="small"
        onClick={() => void draw()}
        disabled={load.kind === 'loading'}
        data-testid="augment-preview-go"
        title="Pass a few images of this set through the graph's random augmentation layers"
      >
        {load.kind === 'done' ? 'Draw again' : 'Preview augmentation'}
      </button>
      {load.kind === 'loading' && (
        <span className="muted small">
          {' '}
          Augmenting… <span className="spinner" />
        </span>
      )}
      {load.kind === 'error' && (
        <div className="banner warning small" data-testid="augment-error">
          {load.message}
        </div>
      )}
      {load.kind === 'done' && <PreviewGrid preview={load.preview} />}
    </div>
  );
}
