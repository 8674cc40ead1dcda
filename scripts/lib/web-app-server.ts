import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from './supergraph.js';

/**
 * The nginx server block that serves every web app's built files in production: each web app's
 * stage of the Dockerfile renders it at start (nginx's envsubst templates), and
 * test/storefront-production.test.ts runs it on a real nginx.
 */
export const webAppServerTemplatePath = join(repositoryRoot, 'deploy', 'nginx', 'web-app.conf.template');

/** The server block as committed. */
export function readWebAppServerTemplate(): string {
  return readFileSync(webAppServerTemplatePath, 'utf8');
}

/** The port nginx listens on inside a web app's container (docker-compose.yml and Kubernetes publish it). */
export function webAppContainerPort(template: string = readWebAppServerTemplate()): number {
  const ports = [...template.matchAll(/^\s*listen\s+(\d+)\s*;/gm)].map((match) => Number(match[1]));
  if (ports.length !== 1) throw new Error(`${webAppServerTemplatePath}: expected one \`listen <port>;\`, found ${ports.length}`);
  return ports[0]!;
}
