// Writes docs/query-plans.md: the gateway's query plan for every client operation, and the deferred
// plans of scripts/deferred-operations.graphql (part of `npm run generate`).
import { readFileSync, writeFileSync } from 'node:fs';
import { operationsPath } from '@greencart/gateway';
import { deferredOperationsPath, planOperations, queryPlansDocument, queryPlansPath } from './lib/query-plans.js';
import { supergraphSchemaPath } from './lib/supergraph.js';

const supergraphSdl = readFileSync(supergraphSchemaPath, 'utf8');
const plans = planOperations(supergraphSdl, readFileSync(operationsPath, 'utf8'));
const deferredPlans = planOperations(supergraphSdl, readFileSync(deferredOperationsPath, 'utf8'), { deferred: true });
writeFileSync(queryPlansPath, queryPlansDocument(plans, deferredPlans));
console.log(`Wrote ${queryPlansPath}`);
