// Writes docs/query-plans.md: the gateway's query plan for every client operation, and the deferred
// plans of those that use @defer (part of `npm run generate`).
import { readFileSync, writeFileSync } from 'node:fs';
import { operationsPath } from '@greencart/gateway';
import { planOperations, queryPlansDocument, queryPlansPath } from './lib/query-plans.js';
import { supergraphSchemaPath } from './lib/supergraph.js';

const supergraphSdl = readFileSync(supergraphSchemaPath, 'utf8');
const operations = readFileSync(operationsPath, 'utf8');
const plans = planOperations(supergraphSdl, operations);
const deferredPlans = planOperations(supergraphSdl, operations, { deferred: true });
writeFileSync(queryPlansPath, queryPlansDocument(plans, deferredPlans));
console.log(`Wrote ${queryPlansPath}`);
