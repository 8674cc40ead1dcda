import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { calleesOf, callersOf, environmentNameOf, nodeFlagsOf, repositoryManifest, repositoryRoot, type ServiceName } from '@greencart/platform';
import { readComposeServices } from '../scripts/lib/docker-compose.js';
import { webAppContainerPort } from '../scripts/lib/web-app-server.js';

/**
 * No Docker engine runs here, so the compose file is checked as text: the services, what they
 * publish, wait for and are told, against docs/operations.md and the processes' own ports.
 */
interface ComposeService {
  build?: string | { context: string; target?: string; args?: Record<string, string> };
  image?: string;
  command?: string[];
  ports?: string[];
  restart?: string;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  profiles?: string[];
  volumes?: string[];
}

const readme = readFileSync(join(repositoryRoot, 'docs', 'operations.md'), 'utf8');
const services = readComposeServices<ComposeService>();
/** Each GreenCart process's port and metrics port, from the service manifest (supergraph.yaml). */
const manifest = repositoryManifest();
const greencart = Object.fromEntries([...manifest.subgraphs, manifest.gateway].map((service) => [service.name, service.port]));
const metricsPorts = Object.fromEntries([...manifest.subgraphs, manifest.gateway].map((service) => [service.name, service.metricsPort]));
/** The optional `tracing` profile's services, and what each publishes on this machine only. */
const tracing = { jaeger: ['127.0.0.1:16686:16686'], prometheus: ['127.0.0.1:9090:9090'] } as const;
/** The manifest's web apps (the storefront), each nginx in its own image on the image's port. */
const webApps = manifest.webApps;
const webAppPort = webAppContainerPort();
/** What each web app publishes: its manifest port, or `<NAME>_PORT`, to nginx's port inside. */
const published = Object.fromEntries(webApps.map((app) => [app.name, [`\${${environmentNameOf(app.name)}_PORT:-${app.port}}:${webAppPort}`]]));

/** Compose's interpolation of `${NAME}` and `${NAME:-default}` (defaults nested), as `docker compose config` resolves a value. */
function interpolate(text: string, variables: Record<string, string>): string {
  let result = '';
  for (let index = 0; index < text.length;) {
    if (!text.startsWith('${', index)) {
      result += text[index++];
      continue;
    }
    // The matching brace, past any nested ${…}.
    let depth = 0;
    let end = index;
    for (; end < text.length; end++) {
      if (text.startsWith('${', end)) (depth++, end++);
      else if (text[end] === '}' && --depth === 0) break;
    }
    const inner = text.slice(index + 2, end);
    const [name, fallback] = inner.includes(':-') ? [inner.slice(0, inner.indexOf(':-')), inner.slice(inner.indexOf(':-') + 2)] : [inner, ''];
    result += variables[name] ? variables[name] : interpolate(fallback, variables);
    index = end + 1;
  }
  return result;
}

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, the subgraphs, the gateway and the web apps, and Jaeger and Prometheus only in the tracing profile', () => {
    expect(Object.keys(services).sort()).toEqual([...Object.keys(greencart), ...webApps.map((app) => app.name), 'jaeger', 'postgres', 'prometheus'].sort());
    for (const [name, service] of Object.entries(services)) expect(service.profiles, name).toEqual(name in tracing ? ['tracing'] : undefined);
  });

  it("publishes only the gateway port (no metrics port), each web app on its port, and the tracing profile's UIs on this machine only", () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.ports ?? [], name).toEqual(name === 'gateway' ? ['4000:4000'] : name in tracing ? tracing[name as keyof typeof tracing] : (published[name] ?? []));
    }
  });

  describe('web apps', () => {
    it('builds each from its own stage of the Dockerfile, with the address of the gateway this machine publishes baked in', () => {
      expect(webApps.length, 'supergraph.yaml names no web_apps').toBeGreaterThan(0);
      const dockerfile = readFileSync(join(repositoryRoot, 'Dockerfile'), 'utf8');
      for (const app of webApps) {
        const service = services[app.name]!;
        expect(service.build, app.name).toEqual({ context: '.', target: app.name, args: { VITE_GREENCART_URL: '${VITE_GREENCART_URL:-http://localhost:4000/graphql}' } });
        expect(dockerfile, `Dockerfile: a stage named ${app.name}`).toMatch(new RegExp(`^FROM \\S+ AS ${app.name}$`, 'm'));
        const gatewayUrl = new URL(interpolate(typeof service.build === 'object' ? service.build.args!.VITE_GREENCART_URL! : '', {}));
        expect(services.gateway!.ports, 'the gateway published where the web app calls it').toContain(`${gatewayUrl.port}:${manifest.gateway.port}`);
        expect(gatewayUrl.pathname).toBe('/graphql');
      }
    });

    it("runs each as nginx alone: its image's entry point, checked on /health, no metrics port, no /ready, no database, keys or volumes", () => {
      for (const app of webApps) {
        const service = services[app.name]!;
        expect(service.command, app.name).toBeUndefined();
        expect(service.healthcheck?.test.join(' '), app.name).toContain(`http://127.0.0.1:${webAppPort}/health`);
        expect(service.healthcheck?.test.join(' '), app.name).not.toContain('/ready');
        expect(service.restart, app.name).toBe('unless-stopped');
        expect(service.volumes ?? [], app.name).toEqual([]);
        expect(service.depends_on, `${app.name}: its files need nothing to be served`).toBeUndefined();
        for (const variable of Object.keys(service.environment ?? {})) expect(variable, app.name).not.toMatch(/METRICS_PORT|DATABASE|KEY|SECRET|PASSWORD|JWKS/);
      }
    });

    it('lets each into the gateway (CORS_ORIGINS), on its published port, even with NODE_ENV=production', () => {
      const origins = (variables: Record<string, string>) => interpolate(services.gateway!.environment!.CORS_ORIGINS ?? '', variables).split(',');
      for (const app of webApps) {
        const portVariable = `${environmentNameOf(app.name)}_PORT`;
        expect(origins({}), app.name).toContain(`http://localhost:${app.port}`);
        expect(origins({ [portVariable]: '8181' }), `${app.name} on ${portVariable}=8181`).toContain('http://localhost:8181');
        expect(interpolate(published[app.name]![0]!, { [portVariable]: '8181' })).toBe(`8181:${webAppPort}`);
      }
      expect(origins({ CORS_ORIGINS: 'https://shop.example.com' }), 'CORS_ORIGINS replaces the default').toEqual(['https://shop.example.com']);
    });
  });

  it("serves each process's /metrics on its METRICS_PORT, which the tracing profile's Prometheus scrapes", () => {
    const config = YAML.parse(readFileSync(join(repositoryRoot, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = config.scrape_configs.flatMap((job) => job.static_configs.flatMap((group) => group.targets));
    for (const [name, port] of Object.entries(metricsPorts)) {
      expect(services[name]!.environment?.METRICS_PORT, name).toBe(String(port));
      expect(targets, name).toContain(`${name}:${port}`);
    }
    expect(services.prometheus!.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it("sends traces only when OTEL_EXPORTER_OTLP_ENDPOINT is given (Jaeger's, with the tracing profile)", () => {
    for (const name of Object.keys(greencart)) expect(services[name]!.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:-}');
    expect(readme).toContain('OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4318 docker compose --profile tracing up');
  });

  it('gives every service a health check and a restart policy', () => {
    for (const [name, service] of Object.entries(services)) {
      // Jaeger's image carries its own HEALTHCHECK.
      if (name !== 'jaeger') expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
      if (name !== 'postgres') expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('starts each process on its port, checks its /ready, and waits for what it needs', () => {
    for (const [name, port] of Object.entries(greencart)) {
      const service = services[name]!;
      expect(service.build, name).toBeDefined();
      // The image's compiled entry point (`npm run build`): node alone, no tsx, with the manifest's node flags (its heap budget; docs/operations.md, "Production build").
      expect(service.command, name).toEqual(['node', ...nodeFlagsOf(name), name === 'gateway' ? 'gateway/dist/index.js' : `subgraphs/${name}/dist/index.js`]);
      expect(service.environment?.PORT, name).toBe(String(port));
      expect(service.healthcheck?.test.join(' '), name).toContain(`127.0.0.1:${port}/ready`);
      expect(service.depends_on?.postgres?.condition ?? 'via subgraphs', name).toMatch(/service_healthy|via subgraphs/);
    }
    for (const subgraph of manifest.subgraphs) expect(services.gateway!.depends_on?.[subgraph.name]?.condition, subgraph.name).toBe('service_healthy');
  });

  it('points the services at each other by service name', () => {
    expect(services.gateway!.environment).toMatchObject({ ACCOUNTS_URL: 'http://accounts:4001', ORDERS_URL: 'http://orders:4002', PRODUCTS_URL: 'http://products:4003' });
    expect(services.orders!.environment).toMatchObject({ PRODUCTS_URL: 'http://products:4003', ACCOUNTS_URL: 'http://accounts:4001' });
    for (const name of ['gateway', 'orders', 'products']) expect(services[name]!.environment?.JWKS_URL, name).toBe('http://accounts:4001/.well-known/jwks.json');
    for (const name of Object.keys(greencart)) expect(services[name]!.environment?.DATABASE_URL ?? '', name).toMatch(name === 'gateway' ? /.*/ : /@postgres:5432\//);
  });

  describe('keys', () => {
    const names = Object.keys(greencart) as ServiceName[];
    /** A service's mounts: volume → where, and whether read-only. */
    const mounts = (name: string) =>
      (services[name]!.volumes ?? []).map((entry) => {
        const [volume, path, mode] = entry.split(':');
        return { volume: volume!, path: path!, readOnly: mode === 'ro' };
      });

    it('gives each service a data volume of its own, which no other service mounts', () => {
      for (const name of names) {
        expect(
          mounts(name).filter((mount) => mount.path === '/data'),
          name,
        ).toEqual([{ volume: `${name}-data`, path: '/data', readOnly: false }]);
        for (const other of names.filter((other) => other !== name))
          expect(
            mounts(other).map((mount) => mount.volume),
            `${other} mounts ${name}-data`,
          ).not.toContain(`${name}-data`);
      }
      expect(
        Object.values(services)
          .flatMap((service) => service.volumes ?? [])
          .join(' '),
      ).not.toContain('greencart-data');
    });

    it('lets a caller alone write its public keys, and mounts them read-only into the services it calls, and those only', () => {
      for (const name of names) {
        const publicKeyMounts = mounts(name).filter((mount) => mount.path.startsWith('/data/keys/'));
        const own = calleesOf(name).length > 0 ? [{ volume: `${name}-public-key`, path: `/data/keys/services/public/${name}`, readOnly: false }] : [];
        const callers = callersOf(name).map((caller) => ({ volume: `${caller}-public-key`, path: `/data/keys/services/public/${caller}`, readOnly: true }));
        expect(publicKeyMounts, name).toEqual(expect.arrayContaining([...own, ...callers]));
        expect(publicKeyMounts, name).toHaveLength(own.length + callers.length);
      }
    });

    it('gives a caller its own private key variable, and each service its callers’ public keys only', () => {
      for (const name of names) {
        const environment = services[name]!.environment ?? {};
        expect(environment.SERVICE_PRIVATE_KEY, name).toBe(calleesOf(name).length > 0 ? `\${${name.toUpperCase()}_SERVICE_PRIVATE_KEY:-}` : undefined);
        const publicKeys = Object.keys(environment).filter((variable) => variable.endsWith('_SERVICE_PUBLIC_KEYS'));
        expect(publicKeys.sort(), name).toEqual(
          callersOf(name)
            .map((caller) => `${caller.toUpperCase()}_SERVICE_PUBLIC_KEYS`)
            .sort(),
        );
        expect(Object.keys(environment), name).not.toContain('SERVICE_TOKEN_SECRET');
      }
    });
  });

  it('sets only variables that docs/operations.md documents, and reads only those from the shell', () => {
    const documented = new Set([...readme.matchAll(/^\| ((?:`[A-Z0-9_]+`, )*`[A-Z0-9_]+`) \|/gm)].flatMap((match) => match[1]!.split(', ').map((variable) => variable.slice(1, -1))));
    for (const name of [...Object.keys(greencart), ...webApps.map((app) => app.name)]) {
      const service = services[name]!;
      const args = typeof service.build === 'object' ? (service.build.args ?? {}) : {};
      for (const variable of [...Object.keys(service.environment ?? {}), ...Object.keys(args)])
        expect(documented.has(variable), `${name}: ${variable} is not in the environment table of docs/operations.md`).toBe(true);
    }
    // `${NAME…}` in the file: what a user may set in the shell or .env; the key variables are documented under their own names.
    const compose = readFileSync(join(repositoryRoot, 'docker-compose.yml'), 'utf8');
    for (const [, variable] of compose.matchAll(/\$\{([A-Z0-9_]+)/g)) {
      if (/_SERVICE_PRIVATE_KEY$/.test(variable!)) continue; // passed as SERVICE_PRIVATE_KEY (docs/operations.md, "Containers")
      expect(documented.has(variable!), `docker-compose.yml reads ${variable} from the shell; docs/operations.md does not document it`).toBe(true);
    }
  });
});
