import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { commonEnvironment, environmentNameOf, JWKS_PATH, readEnvironment, repositoryManifest, repositoryRoot, serviceUrlVariable, userTokenIssuerOf } from '@greencart/platform';
import { subgraphsTheBenchLacks } from '../scripts/bench/common.js';
import { readComposeServices } from '../scripts/lib/docker-compose.js';
import { readSupergraphConfig } from '../scripts/lib/supergraph.js';
import { subgraphsTheHarnessLacks } from './support/supergraph.js';

/**
 * What is not derived from the service manifest (supergraph.yaml) is checked against it here, and
 * each failure names what is missing and where: a subgraph added to the manifest fails these
 * tests until its workspace, build, image, compose service and Kubernetes base are there too.
 */

const manifest = repositoryManifest();
const { subgraphs, gateway } = manifest;
const services = [gateway, ...subgraphs];
const read = (path: string) => readFileSync(join(repositoryRoot, path), 'utf8');
const missing = (what: string[]) => what.filter(Boolean);

describe('the service manifest against the repository', () => {
  it('is the supergraph that `npm run compose` composes: the same subgraphs, routing URLs and schema files', () => {
    expect(
      missing(
        subgraphs.map((subgraph) => (existsSync(join(repositoryRoot, subgraph.schemaFile)) ? '' : `${subgraph.schemaFile} is missing for subgraph ${subgraph.name} (manifest: supergraph.yaml)`)),
      ),
    ).toEqual([]);
    expect(readSupergraphConfig().map(({ name, url }) => ({ name, url }))).toEqual(subgraphs.map((subgraph) => ({ name: subgraph.name, url: subgraph.routingUrl })));
  });

  it('names npm workspaces, each with its build', () => {
    const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
    const references = (JSON.parse(read('tsconfig.build.json')) as { references: Array<{ path: string }> }).references.map((reference) => reference.path);
    expect(
      missing(services.map((service) => (workspaces.includes(service.workspace) ? '' : `package.json has no workspace ${service.workspace} for ${service.name} (manifest: supergraph.yaml)`))),
    ).toEqual([]);
    expect(
      missing(
        services.map((service) =>
          references.includes(`${service.workspace}/tsconfig.build.json`)
            ? ''
            : `tsconfig.build.json has no reference to ${service.workspace}/tsconfig.build.json for ${service.name} (manifest: supergraph.yaml)`,
        ),
      ),
    ).toEqual([]);
  });

  it('gives each subgraph the ports and database its own environment defaults to', async () => {
    expect(
      missing(
        subgraphs.map((subgraph) =>
          existsSync(join(repositoryRoot, subgraph.workspace, 'src', 'env.ts')) ? '' : `${subgraph.workspace}/src/env.ts is missing for subgraph ${subgraph.name} (manifest: supergraph.yaml)`,
        ),
      ),
    ).toEqual([]);
    for (const subgraph of subgraphs) {
      const module = (await import(join(repositoryRoot, subgraph.workspace, 'src', 'env.ts'))) as Record<string, unknown>;
      const reader = Object.entries(module).find(([name, value]) => /^read\w+Environment$/.test(name) && typeof value === 'function')?.[1] as
        ((source: NodeJS.ProcessEnv) => Record<string, unknown>) | undefined;
      expect(reader, `${subgraph.workspace}/src/env.ts exports no read…Environment`).toBeDefined();
      const defaults = reader!({});
      expect({ port: defaults.PORT, metricsPort: defaults.METRICS_PORT, database: defaults[`${environmentNameOf(subgraph.name)}_DATABASE_NAME`] }, subgraph.name).toEqual({
        port: subgraph.port,
        metricsPort: subgraph.metricsPort,
        database: subgraph.database,
      });
    }
  });

  it('is what the Dockerfile builds and puts in the image: each workspace, its compiled code, schema and migrations', () => {
    const dockerfile = read('Dockerfile').split('\n');
    const runFrom = dockerfile.findLastIndex((line) => line.startsWith('FROM '));
    const [buildStage, runStage] = [dockerfile.slice(0, runFrom), dockerfile.slice(runFrom)];
    const wanted = (stage: string[], stageName: string, line: string, service: string) =>
      stage.includes(line) ? '' : `Dockerfile (${stageName} stage) has no \`${line}\` for ${service} (manifest: supergraph.yaml)`;
    const problems = services.flatMap((service) => [
      wanted(buildStage, 'build', `COPY ${service.workspace}/package.json ${service.workspace}/`, service.name),
      wanted(runStage, 'run', `COPY ${service.workspace}/package.json ${service.workspace}/`, service.name),
      wanted(runStage, 'run', `COPY --from=build /app/${service.workspace}/dist ${service.workspace}/dist`, service.name),
    ]);
    for (const subgraph of subgraphs) {
      problems.push(wanted(runStage, 'run', `COPY ${subgraph.schemaFile} ${subgraph.workspace}/`, subgraph.name));
      problems.push(wanted(runStage, 'run', `COPY ${subgraph.workspace}/migrations ${subgraph.workspace}/migrations`, subgraph.name));
    }
    expect(missing(problems)).toEqual([]);
    expect(runStage).toContain('COPY supergraph.yaml supergraph.graphql ./');
  });

  it('is what docker-compose.yml runs: a service per process on its ports, the gateway told where each subgraph is and waiting for it', () => {
    const compose = readComposeServices<{ command?: string[]; environment?: Record<string, string>; depends_on?: Record<string, unknown> }>();
    const problems: string[] = [];
    for (const service of services) {
      const entry = compose[service.name];
      if (!entry) {
        problems.push(`docker-compose.yml has no service for ${service.name} (manifest: supergraph.yaml)`);
        continue;
      }
      if (entry.command?.at(-1) !== `${service.workspace}/dist/index.js`) problems.push(`docker-compose.yml: ${service.name} does not run ${service.workspace}/dist/index.js`);
      if (entry.environment?.PORT !== String(service.port)) problems.push(`docker-compose.yml: ${service.name} has PORT ${entry.environment?.PORT}, the manifest ${service.port}`);
      if (entry.environment?.METRICS_PORT !== String(service.metricsPort))
        problems.push(`docker-compose.yml: ${service.name} has METRICS_PORT ${entry.environment?.METRICS_PORT}, the manifest ${service.metricsPort}`);
    }
    for (const subgraph of subgraphs) {
      const url = `http://${subgraph.name}:${subgraph.port}`;
      if (compose.gateway?.environment?.[serviceUrlVariable(subgraph.name)] !== url) problems.push(`docker-compose.yml: the gateway has no ${serviceUrlVariable(subgraph.name)}: ${url}`);
      if (!compose.gateway?.depends_on?.[subgraph.name]) problems.push(`docker-compose.yml: the gateway does not wait for ${subgraph.name} (depends_on)`);
    }
    expect(problems).toEqual([]);
  });

  it("points every verifier by default at the token issuer's published keys", () => {
    const issuer = userTokenIssuerOf(manifest);
    expect(issuer, 'supergraph.yaml names no user_token_issuer').toBeDefined();
    expect(readEnvironment(commonEnvironment, {}).JWKS_URL).toBe(`http://127.0.0.1:${issuer!.port}${JWKS_PATH}`);
  });

  it("is what the integration tests' harness starts: every subgraph", () => {
    expect(subgraphsTheHarnessLacks().map((name) => `test/support/supergraph.ts does not start subgraph ${name} (manifest: supergraph.yaml)`)).toEqual([]);
  });

  it('is what the bench starts: every subgraph, each with its own bench database', () => {
    expect(subgraphsTheBenchLacks().map((name) => `scripts/bench does not start subgraph ${name} (manifest: supergraph.yaml; BENCH_DATABASES in scripts/bench/common.ts)`)).toEqual([]);
  });

  it('is what Prometheus scrapes in the tracing profile: each process on its metrics port', () => {
    const config = YAML.parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((group) => group.targets));
    expect(
      missing(services.map((service) => (targets.includes(`${service.name}:${service.metricsPort}`) ? '' : `deploy/prometheus/prometheus.yml does not scrape ${service.name}:${service.metricsPort}`))),
    ).toEqual([]);
  });

  it("has a Kubernetes base per process, listed in the base kustomization, on the manifest's ports, with a migration Job per subgraph", () => {
    const base = 'deploy/kubernetes/base';
    const resources = (YAML.parse(read(`${base}/kustomization.yaml`)) as { resources: string[] }).resources;
    const problems: string[] = [];
    for (const service of services) {
      const folder = `${base}/${service.name}`;
      if (!existsSync(join(repositoryRoot, folder, 'kustomization.yaml'))) {
        problems.push(`${folder}/kustomization.yaml is missing for ${service.name} (manifest: supergraph.yaml)`);
        continue;
      }
      if (!resources.includes(service.name)) problems.push(`${base}/kustomization.yaml does not list ${service.name}`);
      const kustomization = YAML.parse(read(`${folder}/kustomization.yaml`)) as { resources: string[]; configMapGenerator?: Array<{ literals?: string[] }> };
      const literals = kustomization.configMapGenerator?.flatMap((generator) => generator.literals ?? []) ?? [];
      for (const setting of [`PORT=${service.port}`, `METRICS_PORT=${service.metricsPort}`]) if (!literals.includes(setting)) problems.push(`${folder}/kustomization.yaml does not set ${setting}`);
      if (service !== gateway) {
        if (!kustomization.resources.includes('migration-job.yaml')) problems.push(`${folder} has no migration-job.yaml for ${service.name}'s database`);
        if (!literals.includes(`${environmentNameOf(service.name)}_DATABASE_NAME=${(service as (typeof subgraphs)[number]).database}`))
          problems.push(`${folder}/kustomization.yaml does not set ${environmentNameOf(service.name)}_DATABASE_NAME to the manifest's database`);
      }
    }
    const gatewayLiterals =
      (YAML.parse(read(`${base}/gateway/kustomization.yaml`)) as { configMapGenerator?: Array<{ literals?: string[] }> }).configMapGenerator?.flatMap((generator) => generator.literals ?? []) ?? [];
    for (const subgraph of subgraphs) {
      const setting = `${serviceUrlVariable(subgraph.name)}=http://${subgraph.name}:${subgraph.port}`;
      if (!gatewayLiterals.includes(setting)) problems.push(`${base}/gateway/kustomization.yaml does not set ${setting}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('web apps in the manifest', () => {
  it("are served beside the services: each has a workspace whose Vite app npm start and npm run build run, and the safelist's documents", () => {
    for (const app of manifest.webApps) {
      const scripts = (JSON.parse(read(`${app.workspace}/package.json`)) as { scripts?: Record<string, string> }).scripts ?? {};
      expect(missing([scripts.dev ? '' : `${app.workspace}/package.json: a dev script`, scripts.build ? '' : `${app.workspace}/package.json: a build script`])).toEqual([]);
      if (app.persistedDocuments) expect(existsSync(join(repositoryRoot, app.persistedDocuments)), app.persistedDocuments).toBe(true);
    }
  });

  it('are what the root `npm run build` builds, as workspaces of the repository', () => {
    const root = JSON.parse(read('package.json')) as { workspaces: string[]; scripts: Record<string, string> };
    expect(
      missing(
        manifest.webApps.flatMap((app) => [
          root.workspaces.includes(app.workspace) ? '' : `package.json has no workspace ${app.workspace} for web app ${app.name} (manifest: supergraph.yaml)`,
          root.scripts.build
            ?.split('&&')
            .map((command) => command.trim())
            .includes(`npm run build -w ${app.workspace}`)
            ? ''
            : `package.json's build script does not run \`npm run build -w ${app.workspace}\` for web app ${app.name}`,
        ]),
      ),
    ).toEqual([]);
  });

  it("are served in production by nginx, each from a stage of the Dockerfile before the services' image, which holds their persisted documents", () => {
    const lines = read('Dockerfile').split('\n');
    const stages = lines
      .flatMap((line, index) => (line.startsWith('FROM ') ? [{ line, index }] : []))
      .map(({ line, index }, position, all) => ({
        image: line.split(/\s+/)[1]!,
        name: /\sAS\s+(\S+)$/i.exec(line)?.[1],
        lines: lines.slice(index + 1, all[position + 1]?.index ?? lines.length),
      }));
    const [buildStage, servicesStage] = [stages[0]!, stages.at(-1)!];
    const problems: string[] = [];
    for (const app of manifest.webApps) {
      const wanted = (stage: (typeof stages)[number] | undefined, stageName: string, line: string) => {
        if (!stage?.lines.includes(line)) problems.push(`Dockerfile (${stageName} stage) has no \`${line}\` for web app ${app.name} (manifest: supergraph.yaml)`);
      };
      wanted(buildStage, 'build', `COPY ${app.workspace}/package.json ${app.workspace}/`);
      // Built again with its own VITE_GREENCART_URL, so that a change of address leaves the services' build alone.
      const appBuild = stages.find((stage) => stage.name === `${app.name}-build`);
      if (appBuild?.image !== 'build') problems.push(`Dockerfile has no \`FROM build AS ${app.name}-build\` stage`);
      if (!appBuild?.lines.some((line) => line.startsWith('RUN ') && line.includes(`npm run build -w ${app.workspace}`)))
        problems.push(`Dockerfile (${app.name}-build stage) does not run \`npm run build -w ${app.workspace}\``);
      const served = stages.find((stage) => stage.name === app.name);
      if (!served?.image.startsWith('nginxinc/nginx-unprivileged:')) problems.push(`Dockerfile has no \`FROM nginxinc/nginx-unprivileged:… AS ${app.name}\` stage for web app ${app.name}`);
      if (served === servicesStage) problems.push(`Dockerfile: ${app.name}'s stage is the last one, which must stay the services' image`);
      wanted(served, app.name, `COPY --from=${app.name}-build /app/${app.workspace}/dist /usr/share/nginx/html`);
      wanted(served, app.name, 'COPY deploy/nginx/web-app.conf.template /etc/nginx/templates/default.conf.template');
      if (app.persistedDocuments) wanted(servicesStage, 'run', `COPY ${app.persistedDocuments} ${dirname(app.persistedDocuments)}/`);
    }
    expect(problems).toEqual([]);
  });

  it('have a Kubernetes base each, listed in the base kustomization, and a docker-compose service', () => {
    const base = 'deploy/kubernetes/base';
    const resources = (YAML.parse(read(`${base}/kustomization.yaml`)) as { resources: string[] }).resources;
    const compose = readComposeServices();
    const problems: string[] = [];
    for (const app of manifest.webApps) {
      if (!existsSync(join(repositoryRoot, base, app.name, 'kustomization.yaml')))
        problems.push(`${base}/${app.name}/kustomization.yaml is missing for web app ${app.name} (manifest: supergraph.yaml)`);
      if (!resources.includes(app.name)) problems.push(`${base}/kustomization.yaml does not list ${app.name}`);
      if (!compose[app.name]) problems.push(`docker-compose.yml has no service for web app ${app.name} (manifest: supergraph.yaml)`);
    }
    expect(problems).toEqual([]);
  });
});
