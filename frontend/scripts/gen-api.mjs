// Regenerates openapi.json and src/api/schema.d.ts from the server (see openapi.mjs);
// both are committed so a build needs no Python.
import { writeFileSync } from 'node:fs';
import { DOCUMENT_PATH, openapiDocument, schemaTypes, TYPES_PATH } from './openapi.mjs';

const document = openapiDocument();
writeFileSync(DOCUMENT_PATH, document);
writeFileSync(TYPES_PATH, await schemaTypes(document));
console.log(`wrote ${DOCUMENT_PATH} and ${TYPES_PATH}`);
