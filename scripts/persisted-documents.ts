// Writes client/persisted-documents.json: the manifest of the client's operations (part of `npm run codegen`).
import { readFileSync, writeFileSync } from 'node:fs';
import { buildPersistedDocuments, operationsPath, persistedDocumentsPath } from '@greencart/gateway';

writeFileSync(persistedDocumentsPath, `${JSON.stringify(buildPersistedDocuments(readFileSync(operationsPath, 'utf8')), null, 2)}\n`);
console.log(`Wrote ${persistedDocumentsPath}`);
