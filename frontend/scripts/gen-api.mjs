// Regenerates src/api/schema.d.ts from the server's OpenAPI document.
// The document comes from `layerforge openapi` (or create_app().openapi() when the CLI
// lacks that command); the generated file is committed so builds need no Python.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const python = resolve(root, '.venv/bin/python');
const cli = resolve(root, '.venv/bin/layerforge');
const out = resolve(import.meta.dirname, '..', 'openapi.json');

function fromCli() {
  if (!existsSync(cli)) return null;
  try {
    return execFileSync(cli, ['openapi'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

function fromPython() {
  const code =
    'import json; from layerforge.api.app import create_app; ' +
    'print(json.dumps(create_app().openapi()))';
  return execFileSync(python, ['-c', code], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
}

const text = fromCli() ?? fromPython();
JSON.parse(text); // fail loudly on anything that is not JSON
writeFileSync(out, text);
execFileSync('npx', ['openapi-typescript', out, '-o', 'src/api/schema.d.ts'], { stdio: 'inherit' });
