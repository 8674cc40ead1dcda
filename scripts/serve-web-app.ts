// One web app of the service manifest (the storefront) as `npm start` runs it: Vite's dev server on
// its workspace, or with `--compiled` its built files (dist/, as `vite preview` serves them), on
// PORT. Run by scripts/start.ts, which supervises it like the services: it says when it serves,
// and stops on SIGTERM. `npm run dev -w <workspace>` runs the same dev server on its own.
import { join } from 'node:path';
import { createServer, preview } from 'vite';
import { z } from 'zod';
import { commonEnvironment, createLogger, readEnvironment, repositoryManifest, repositoryRoot, runMain, stopOnSignals } from '@greencart/platform';

const [name] = process.argv.slice(2);
const app = repositoryManifest().webApps.find((candidate) => candidate.name === name);
if (!app) throw new Error(`${name ?? '(no name)'} is no web app of supergraph.yaml (web_apps)`);
const { LOG_LEVEL, LOG_FORMAT, GREENCART_SUPERVISED, HOST } = commonEnvironment;
const env = readEnvironment({ LOG_LEVEL, LOG_FORMAT, GREENCART_SUPERVISED, HOST, PORT: z.coerce.number().int().min(1).max(65535).default(app.port) });
const compiled = process.argv.includes('--compiled');
const logger = createLogger(app.name, env.LOG_LEVEL, env.LOG_FORMAT);

runMain(app.name, async () => {
  const root = join(repositoryRoot, app.workspace);
  // The same host as every service (loopback unless HOST says otherwise), on the one port: a port
  // taken is a failed start, never another port the banner does not name.
  const address = { port: env.PORT, strictPort: true, host: env.HOST };
  const server = compiled
    ? await preview({ root, logLevel: 'warn', preview: address })
    : await createServer({ root, logLevel: 'warn', clearScreen: false, server: address }).then((dev) => dev.listen());
  logger.info('serving', { url: `http://localhost:${env.PORT}`, mode: compiled ? 'built files' : 'development' });
  stopOnSignals(logger, () => server.close(), { supervised: env.GREENCART_SUPERVISED });
});
