import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import './styles/app.css';
import App from './App';
import { ErrorBoundary } from './ui/ErrorBoundary';
import { useEditor } from './editor/store/editor';

// a handle for the benchmarks (bench/bench_editor.spec.ts) and for debugging in the console
(window as unknown as { __layerforge: unknown }).__layerforge = { store: useEditor };

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
