import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { repositoryRoot } from './supergraph.js';

/** docker-compose.yml's services, its `<<:` merge keys applied (typed as far as the caller reads them). */
export function readComposeServices<Service extends { command?: string[] } = { command?: string[] }>(): Record<string, Service> {
  return (YAML.parse(readFileSync(join(repositoryRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> }).services;
}
