import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The API server (layerforge serve) listens on 127.0.0.1:8000 by default; the dev server
// proxies REST and the run WebSocket stream to it.
const API_TARGET = process.env.LAYERFORGE_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: API_TARGET, changeOrigin: true, ws: true },
    },
  },
  preview: {
    proxy: {
      '/api': { target: API_TARGET, changeOrigin: true, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
  worker: { format: 'es' },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
