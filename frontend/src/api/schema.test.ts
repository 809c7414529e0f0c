// The committed OpenAPI document and the types generated from it must be what the server
// publishes now: a route or model changed without `npm run gen:api` fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_PATH, openapiDocument, schemaTypes, TYPES_PATH } from '../../scripts/openapi.mjs';

describe('generated API schema', () => {
  it('matches the server', async () => {
    const document = openapiDocument();
    expect(JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')), 'openapi.json is stale: run npm run gen:api').toEqual(
      JSON.parse(document),
    );
    expect(readFileSync(TYPES_PATH, 'utf8'), 'src/api/schema.d.ts is stale: run npm run gen:api').toBe(
      await schemaTypes(document),
    );
  }, 60_000);
});
