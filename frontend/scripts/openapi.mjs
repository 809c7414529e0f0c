// The server's OpenAPI document and the TypeScript types generated from it. One recipe
// for `npm run gen:api` (which writes them) and the test that checks the committed
// copies are current (src/api/schema.test.ts).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const root = resolve(import.meta.dirname, '..', '..');

export const DOCUMENT_PATH = resolve(import.meta.dirname, '..', 'openapi.json');
export const TYPES_PATH = resolve(import.meta.dirname, '..', 'src', 'api', 'schema.d.ts');

/** The document as `layerforge openapi` (the repo's venv) prints it. */
export function openapiDocument() {
  const cli = resolve(root, '.venv', 'bin', 'layerforge');
  const text = execFileSync(cli, ['openapi'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
}

/**
 * TypeScript types for the document. A field with a default stays optional
 * (defaultNonNullable: false): a request may leave it out, and the server fills it in.
 */
export async function schemaTypes(documentText) {
  const ast = await openapiTS(JSON.parse(documentText), { defaultNonNullable: false });
  return COMMENT_HEADER + astToString(ast);
}
