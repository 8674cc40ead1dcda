// Writes docs/query-plans.md: the gateway's query plan for every client operation (part of `npm run generate`).
import { readFileSync, writeFileSync } from 'node:fs';
import { operationsPath } from '@greencart/gateway';
import { planOperations, queryPlansDocument, queryPlansPath } from './lib/query-plans.js';
import { supergraphSchemaPath } from './lib/supergraph.js';

writeFileSync(queryPlansPath, queryPlansDocument(planOperations(readFileSync(supergraphSchemaPath, 'utf8'), readFileSync(operationsPath, 'utf8'))));
console.log(`Wrote ${queryPlansPath}`);
