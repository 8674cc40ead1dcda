import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RequestHandler } from 'express';
import { Kind, parse, print, type DocumentNode } from 'graphql';
import { ErrorCode, refuse, repositoryManifest, repositoryRoot, type ServiceManifest } from '@greencart/platform';
import { operationDocuments } from './graphiql.js';

/** The manifest of the operations the GreenCart client ships: normalised text by SHA-256. */
export const persistedDocumentsPath = join(repositoryRoot, 'client', 'persisted-documents.json');

/**
 * One canonical text per operation, whatever the spacing or the order of its fragments: the
 * operation first, then its fragments by name, as graphql-js prints them.
 */
export function normalizedDocument(document: DocumentNode): string {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const fragments = document.definitions.filter((definition) => definition.kind === Kind.FRAGMENT_DEFINITION).sort((a, b) => a.name.value.localeCompare(b.name.value));
  return [...operations, ...fragments].map((definition) => print(definition)).join('\n\n');
}

export function documentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The manifest for a file of operations: each operation with its fragments, by hash. */
export function buildPersistedDocuments(operationsSource: string): Record<string, string> {
  const entries = operationDocuments(operationsSource).map(({ document }) => normalizedDocument(document));
  return Object.fromEntries(entries.map((text) => [documentHash(text), text]).sort(([a], [b]) => a!.localeCompare(b!)));
}

/** Whether a parsed document is one of the manifest's, whatever its spacing and fragment order. */
export function isPersisted(manifest: Record<string, string>, document: DocumentNode): boolean {
  const text = normalizedDocument(document);
  return manifest[documentHash(text)] === text;
}

const NOT_JSON = Symbol('not JSON');

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;

/**
 * Every operation a GreenCart client ships: the SDK's (client/persisted-documents.json) and each
 * web app's of the service manifest (the storefront's, as GraphQL Code Generator's client preset
 * writes them). A web app's entry is kept under its own hash, which the app sends, and under the
 * hash of its normalised text, so the same operation sent in full is recognised too.
 */
export function readPersistedDocuments(manifest: ServiceManifest = repositoryManifest()): Record<string, string> {
  const documents: Record<string, string> = Object.create(null) as Record<string, string>;
  Object.assign(documents, readJson(persistedDocumentsPath));
  for (const app of manifest.webApps) {
    if (!app.persistedDocuments) continue;
    for (const [hash, text] of Object.entries(readJson(resolve(repositoryRoot, app.persistedDocuments)))) {
      documents[hash] = text;
      const normalized = normalizedDocument(parse(text));
      documents[documentHash(normalized)] = normalized;
    }
  }
  return documents;
}

/**
 * The safelist: a request runs only if it names a manifest entry by hash (`documentId`, or Apollo's
 * `extensions.persistedQuery.sha256Hash`), or sends a full text that is one of them. Anything else
 * is refused before any subgraph is asked.
 */
export function safelist(manifest: Record<string, string> = readPersistedDocuments()): RequestHandler {
  return (req, res, next) => {
    const source = (req.method === 'GET' ? req.query : req.body) as Record<string, unknown> | undefined;
    if (!source || typeof source !== 'object') return next();
    let extensions = source.extensions;
    if (typeof extensions === 'string') {
      extensions = parsedJson(extensions);
      if (extensions === NOT_JSON) return refuse(res, 400, 'The extensions parameter is not valid JSON.', 'BAD_REQUEST');
    }
    const persisted = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
    const hash = typeof source.documentId === 'string' ? source.documentId.replace(/^sha256:/, '') : typeof persisted === 'string' ? persisted : undefined;

    if (hash !== undefined && typeof source.query !== 'string') {
      // Own entries only: a hash such as `__proto__` names nothing in the manifest.
      const text = Object.hasOwn(manifest, hash) ? manifest[hash] : undefined;
      if (typeof text !== 'string') {
        refuse(res, 400, 'No persisted document has this hash.', 'PERSISTED_QUERY_NOT_FOUND');
        return;
      }
      if (extensions && typeof extensions === 'object') delete (extensions as { persistedQuery?: unknown }).persistedQuery;
      if (req.method === 'GET') {
        // Apollo reads a GET's parameters from its URL (Express 5 parses req.query anew on every read).
        const parameters = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
        parameters.set('query', text);
        parameters.delete('documentId');
        parameters.set('extensions', JSON.stringify(extensions ?? {}));
        req.url = `${req.url.split('?')[0]}?${parameters}`;
      } else {
        source.query = text;
        delete source.documentId;
      }
      return next();
    }
    if (typeof source.query !== 'string') return next();
    let document: DocumentNode;
    try {
      document = parse(source.query);
    } catch {
      return next(); // a syntax error: Apollo answers it as usual
    }
    if (isPersisted(manifest, document)) return next();
    refuse(res, 400, 'Only the operations of the GreenCart client (its persisted documents) run here.', ErrorCode.OPERATION_NOT_IN_SAFELIST);
  };
}
