/**
 * Starts the real Layerforge server for the browser tests: `layerforge serve` on a free
 * loopback port, a fresh temporary data directory, the built editor served at `/`.
 * The URL goes to the tests in LAYERFORGE_E2E_URL; the teardown stops the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const STATIC = join(ROOT, 'backend', 'layerforge', 'static');
const DIST = join(ROOT, 'frontend', 'dist');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

/** The server serves backend/layerforge/static; refresh it from a newer frontend build. */
function ensureEditorBuilt() {
  const distIndex = join(DIST, 'index.html');
  const staticIndex = join(STATIC, 'index.html');
  if (existsSync(distIndex) && (!existsSync(staticIndex) || statSync(distIndex).mtimeMs > statSync(staticIndex).mtimeMs)) {
    rmSync(STATIC, { recursive: true, force: true });
    cpSync(DIST, STATIC, { recursive: true });
  }
  if (!existsSync(staticIndex)) throw new Error('The editor is not built: run `npm run build` in frontend/ (or `make frontend`).');
}

async function waitFor(url: string, proc: ChildProcess, log: () => string, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`layerforge serve exited (${proc.exitCode}):\n${log()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`layerforge serve did not answer ${url} within ${timeoutMs} ms:\n${log()}`);
}

export default async function globalSetup() {
  if (process.env.LAYERFORGE_E2E_URL) return undefined; // a server given from outside
  ensureEditorBuilt();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'layerforge-e2e-'));
  const exe = join(ROOT, '.venv', 'bin', 'layerforge');
  let output = '';
  const proc = spawn(exe, ['serve', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, LAYERFORGE_DATA_DIR: dataDir, TF_CPP_MIN_LOG_LEVEL: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (b: Buffer) => {
    output = (output + b.toString()).slice(-20_000);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/api/health`, proc, () => output);
  // the first catalogue request imports Keras: pay that here, not in the first test
  await waitFor(`${url}/api/layers`, proc, () => output);
  process.env.LAYERFORGE_E2E_URL = url;
  process.env.LAYERFORGE_E2E_DATA_DIR = dataDir;
  return async () => {
    proc.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        proc.kill('SIGKILL');
        r(null);
      }, 10_000);
      proc.once('exit', () => {
        clearTimeout(t);
        r(null);
      });
    });
    rmSync(dataDir, { recursive: true, force: true });
  };
}
