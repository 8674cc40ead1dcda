import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { calleesOf, callingServices, callersOf, nodeFlagsOf, repositoryManifest, repositoryRoot, userTokenIssuerOf } from '@greencart/platform';
import { kubernetesSupergraphPath, supergraphSchemaPath } from '../scripts/lib/supergraph.js';
import { readComposeServices } from '../scripts/lib/docker-compose.js';
import { webAppContainerPort } from '../scripts/lib/web-app-server.js';

/**
 * deploy/kubernetes, rendered as `kubectl apply -k` would render it (kubectl's built-in kustomize,
 * offline), each object checked against the Kubernetes schemas and then against GreenCart's rules:
 * probes, sizes, a restricted security context, disruption budgets and autoscalers, network
 * policies that let through only who calls whom, migration Jobs, the supergraph, and the Secrets.
 * The manifest's web apps (the storefront) are checked as what they are: nginx serving built
 * files from an image of their own, public, calling nothing.
 * Without kubectl the file is skipped, except on CI (CI=true), where it fails.
 */

const kubernetesFolder = join(repositoryRoot, 'deploy', 'kubernetes');
const overlay = join(kubernetesFolder, 'overlays', 'production');
const kubectlFound = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!kubectlFound && !process.env.CI) console.warn('test/kubernetes.test.ts skipped: kubectl is not on PATH (it renders deploy/kubernetes); on CI this fails');

const manifest = repositoryManifest();
/** Each process's port and its internal /metrics port (METRICS_PORT, for Prometheus only), from the service manifest. */
const ports = { gateway: manifest.gateway.port, ...Object.fromEntries(manifest.subgraphs.map((subgraph) => [subgraph.name, subgraph.port])) } as Record<string, number>;
const metricsPorts = { gateway: manifest.gateway.metricsPort, ...Object.fromEntries(manifest.subgraphs.map((subgraph) => [subgraph.name, subgraph.metricsPort])) } as Record<
  keyof typeof ports,
  number
>;
type ServiceName = keyof typeof ports;
const services = Object.keys(ports) as ServiceName[];
/** The command docker-compose.yml runs each service with. */
const composeCommands = Object.fromEntries(Object.entries(readComposeServices()).map(([name, service]) => [name, service.command]));
const subgraphs = manifest.subgraphs.map((subgraph) => subgraph.name).sort();
/** The manifest's web apps, each served by nginx on the image's port (deploy/nginx/web-app.conf.template). */
const webApps = manifest.webApps.map((app) => app.name);
const webAppPort = webAppContainerPort();
/** Every Deployment: the services, then the web apps. */
const deployments = [...services, ...webApps];

const issuer = userTokenIssuerOf(manifest)!.name;
/**
 * Who may call whom (docs/operations.md, "What runs"; the *_URL variables): the manifest's callers
 * (the gateway calls every subgraph, orders calls products and accounts), and every other process
 * fetches the issuer's (accounts') keys; anyone may call the gateway.
 */
const callers: Record<ServiceName, Array<ServiceName | 'anywhere'>> = Object.fromEntries(
  services.map((name) => [
    name,
    name === manifest.gateway.name ? ['anywhere'] : [...new Set([...callersOf(name, manifest), ...(name === issuer ? services.filter((other) => other !== issuer) : [])])],
  ]),
);

/** The Secret keys each container may read, and whether it must (docs/operations.md, "Kubernetes"). */
const secretsOf: Record<string, Record<string, { secret: string; optional: boolean }>> = {
  gateway: {
    SERVICE_PRIVATE_KEY: { secret: 'greencart-gateway', optional: false },
    REDIS_URL: { secret: 'greencart-gateway', optional: true },
  },
  accounts: {
    DATABASE_URL: { secret: 'greencart-accounts-database', optional: false },
    JWT_PRIVATE_KEY: { secret: 'greencart-accounts', optional: false },
    JWT_RETIRED_PUBLIC_KEYS: { secret: 'greencart-accounts', optional: true },
    GREENCART_ADMIN_PASSWORD: { secret: 'greencart-accounts', optional: false },
  },
  orders: {
    SERVICE_PRIVATE_KEY: { secret: 'greencart-orders', optional: false },
    DATABASE_URL: { secret: 'greencart-orders-database', optional: false },
    INVOICE_LINK_SECRET: { secret: 'greencart-orders', optional: false },
  },
  products: {
    DATABASE_URL: { secret: 'greencart-products-database', optional: false },
  },
  reviews: {
    SERVICE_PRIVATE_KEY: { secret: 'greencart-reviews', optional: false },
    DATABASE_URL: { secret: 'greencart-reviews-database', optional: false },
  },
  'accounts-migrate': { DATABASE_URL: { secret: 'greencart-accounts-database', optional: false } },
  'orders-migrate': { DATABASE_URL: { secret: 'greencart-orders-database', optional: false } },
  'products-migrate': { DATABASE_URL: { secret: 'greencart-products-database', optional: false } },
};
// A subgraph with no secret of its own, as `npm run new-subgraph` makes one: its database only.
for (const name of subgraphs) {
  for (const pod of [name, `${name}-migrate`]) secretsOf[pod] ??= { DATABASE_URL: { secret: `greencart-${name}-database`, optional: false } };
}
// A web app's files are public: no Secret at all.
for (const name of webApps) secretsOf[name] = {};
const secretVariables = new Set(Object.values(secretsOf).flatMap((refs) => Object.keys(refs)));

// The shapes read here; kubernetes-models validates the whole of each object.
type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: unknown[];
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] }; seccompProfile?: { type: string } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown> & { seccompProfile?: { type: string } };
  volumes?: Array<{ name: string; emptyDir?: object; configMap?: { name: string }; secret?: unknown }>;
}
interface PodTemplate {
  metadata: { labels: Labels; annotations?: Record<string, string> };
  spec: PodSpec;
}
interface PolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
}
interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}
interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: Selector & Labels;
    template?: PodTemplate;
    ports?: Array<{ name?: string; port: number; targetPort?: number | string }>;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    scaleTargetRef?: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: Array<{ type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }>;
    podSelector?: Selector;
    policyTypes?: string[];
    ingress?: PolicyRule[];
    egress?: PolicyRule[];
  };
}

const models: Record<string, new (object: never) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** `kubectl kustomize folder`, parsed into its objects. */
function render(folder: string): KubernetesObject[] {
  if (!kubectlFound) throw new Error('kubectl is not on PATH: install it where CI runs, it renders deploy/kubernetes (kubectl kustomize)');
  const text = execFileSync('kubectl', ['kustomize', folder], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return YAML.parseAllDocuments(text).map((document) => document.toJS() as KubernetesObject);
}

const matches = (selector: Selector | undefined, labels: Labels) => {
  expect(selector?.matchExpressions ?? [], 'selectors use matchLabels only').toEqual([]);
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
};

/** A resource quantity as a number: CPU in cores ("250m", "2"), memory in bytes ("256Mi"). */
function quantity(text: string): number {
  const match = /^([0-9.]+)(m|Ki|Mi|Gi)?$/.exec(text);
  if (!match) throw new Error(`unreadable quantity ${text}`);
  const factor = { m: 1 / 1000, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * factor;
}

describe.runIf(kubectlFound || process.env.CI)('deploy/kubernetes (kubectl kustomize overlays/production)', () => {
  let objects: KubernetesObject[];
  const all = (kind: string) => objects.filter((object) => object.kind === kind);
  const one = (kind: string, name: string) => {
    const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
    expect(found, `${kind} ${name}`).toBeDefined();
    return found!;
  };
  const configMap = (name: string) => one('ConfigMap', name);
  /** A container's environment with the ConfigMaps it loads resolved. */
  const environment = (container: Container) => {
    const variables = new Map<string, { value?: string; secret?: { name: string; key: string; optional: boolean }; configMap?: { name: string; key: string; optional: boolean } }>();
    for (const source of container.envFrom ?? []) {
      expect(source.secretRef, `${container.name} loads no whole Secret`).toBeUndefined();
      for (const [name, value] of Object.entries(configMap(source.configMapRef!.name).data ?? {})) variables.set(name, { value });
    }
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      const mapRef = variable.valueFrom?.configMapKeyRef;
      if (ref) variables.set(variable.name, { secret: { name: ref.name, key: ref.key, optional: ref.optional ?? false } });
      else if (mapRef) variables.set(variable.name, { configMap: { name: mapRef.name, key: mapRef.key, optional: mapRef.optional ?? false } });
      else variables.set(variable.name, { value: variable.value });
    }
    return variables;
  };
  const podTemplates = () => [...all('Deployment'), ...all('Job')].map((object) => ({ name: object.metadata.name, template: object.spec!.template! }));

  beforeAll(() => {
    objects = render(overlay);
  });

  it('renders objects that the Kubernetes schemas accept, and the base renders too', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      const Model = models[`${object.apiVersion}/${object.kind}`];
      expect(Model, `no schema check for ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => new Model!(object as never).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
    expect(render(join(kubernetesFolder, 'base')).length).toBe(objects.length - 1); // all but the Namespace
  });

  it('puts everything in the greencart namespace, which enforces the restricted pod security profile', () => {
    expect(one('Namespace', 'greencart').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    for (const object of objects.filter((object) => object.kind !== 'Namespace')) expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe('greencart');
  });

  it('runs each process as a Deployment of two or more replicas, from the overlay image, in production mode, on its port', () => {
    expect(
      all('Deployment')
        .map((deployment) => deployment.metadata.name)
        .sort(),
    ).toEqual([...deployments].sort());
    for (const name of services) {
      const deployment = one('Deployment', name);
      expect(deployment.spec!.replicas, name).toBeGreaterThanOrEqual(2);
      expect(matches(deployment.spec!.selector, deployment.spec!.template!.metadata.labels), `${name}: selector picks its pods`).toBe(true);
      const [container, ...others] = deployment.spec!.template!.spec.containers;
      expect(others, name).toEqual([]);
      expect(container!.image, name).toBe('registry.example.com/greencart:0.1.0');
      // The compiled entry point (`npm run build`), as the image's last stage holds it (no tsx), with
      // the heap budget the benchmark measured: the very command docker-compose.yml runs.
      expect(container!.command, name).toEqual(composeCommands[name]);
      expect(container!.command!.slice(1, -1), `${name}: the manifest's node flags`).toEqual(nodeFlagsOf(name));
      expect(container!.command!.at(-1), name).toBe(name === 'gateway' ? 'gateway/dist/index.js' : `subgraphs/${name}/dist/index.js`);
      expect(container!.ports, name).toEqual([
        { name: 'http', containerPort: ports[name] },
        { name: 'metrics', containerPort: metricsPorts[name] },
      ]);
      const env = environment(container!);
      expect(env.get('NODE_ENV')?.value, name).toBe('production');
      expect(env.get('PORT')?.value, name).toBe(String(ports[name]));
      expect(env.get('METRICS_PORT')?.value, name).toBe(String(metricsPorts[name]));
      expect(env.get('HOST')?.value, name).toBe('0.0.0.0');
      // No demo catalogue, shoppers or order history in a real shop's databases.
      if (name !== 'gateway') expect(env.get('SEED_DEMO_DATA')?.value, name).toBe('false');
    }
  });

  it("serves each web app from an image of its own (the overlay's), nginx on its port, two or more replicas, probed on /health", () => {
    expect(webApps.length, 'supergraph.yaml names no web_apps').toBeGreaterThan(0);
    for (const name of webApps) {
      const deployment = one('Deployment', name);
      expect(deployment.spec!.replicas, name).toBeGreaterThanOrEqual(2);
      expect(matches(deployment.spec!.selector, deployment.spec!.template!.metadata.labels), `${name}: selector picks its pods`).toBe(true);
      const [container, ...others] = deployment.spec!.template!.spec.containers;
      expect(others, name).toEqual([]);
      expect(container!.image, name).toBe(`registry.example.com/greencart-${name}:0.1.0`);
      // The image's own entry point: it renders the server block from its template, then runs nginx.
      expect(container!.command, name).toBeUndefined();
      expect(container!.ports, name).toEqual([{ name: 'http', containerPort: webAppPort }]);
      for (const probe of [container!.startupProbe, container!.livenessProbe, container!.readinessProbe]) {
        expect(probe?.httpGet?.path, name).toBe('/health');
        expect(probe?.httpGet?.port, name).toBe('http');
      }
      // No Prometheus annotations: nginx serves no /metrics.
      expect(deployment.spec!.template!.metadata.annotations?.['prometheus.io/scrape'], name).toBeUndefined();
    }
  });

  it('lets the web apps call the gateway at its public address, and the gateway let them in (CORS_ORIGINS)', () => {
    const gateway = environment(one('Deployment', 'gateway').spec!.template!.spec.containers[0]!);
    const publicUrls = services.map((name) => environment(one('Deployment', name).spec!.template!.spec.containers[0]!).get('PUBLIC_URL')?.value).filter((url): url is string => url !== undefined);
    expect(publicUrls.length, 'a PUBLIC_URL: the gateway as browsers reach it').toBeGreaterThan(0);
    const gatewayOrigin = new URL(publicUrls[0]!).origin;
    const corsOrigins = gateway.get('CORS_ORIGINS')?.value?.split(',') ?? [];
    // One public origin per web app, over https, and neither a local one nor the gateway's own.
    expect(corsOrigins.length, "CORS_ORIGINS: the web apps' public origins").toBeGreaterThanOrEqual(webApps.length);
    for (const origin of corsOrigins) {
      expect(new URL(origin).origin, origin).toBe(origin);
      expect(origin, 'CORS_ORIGINS in production').toMatch(/^https:\/\//);
      expect(origin).not.toMatch(/localhost|127\.0\.0\.1/);
      expect(origin).not.toBe(gatewayOrigin);
    }
    for (const name of webApps) {
      // The address the page may connect to (its Content-Security-Policy): the gateway's public one.
      const url = environment(one('Deployment', name).spec!.template!.spec.containers[0]!).get('GREENCART_URL')?.value;
      expect(url, `${name}: GREENCART_URL`).toBeDefined();
      expect(new URL(url!).origin, `${name}: GREENCART_URL is the gateway's public address (PUBLIC_URL)`).toBe(gatewayOrigin);
    }
  });

  it('probes liveness on /health and readiness on /ready, on the process port', () => {
    for (const name of services) {
      const container = one('Deployment', name).spec!.template!.spec.containers[0]!;
      const port = (probe: Probe | undefined) => {
        const given = probe?.httpGet?.port;
        return typeof given === 'string' ? container.ports?.find((entry) => entry.name === given)?.containerPort : given;
      };
      expect(container.livenessProbe?.httpGet?.path, name).toBe('/health');
      expect(port(container.livenessProbe), name).toBe(ports[name]);
      expect(container.readinessProbe?.httpGet?.path, name).toBe('/ready');
      expect(port(container.readinessProbe), name).toBe(ports[name]);
      expect(container.startupProbe?.httpGet?.path, name).toBe('/health');
    }
  });

  it('gives every container CPU and memory requests, and limits at least as large', () => {
    for (const { name, template } of podTemplates()) {
      for (const container of template.spec.containers) {
        for (const resource of ['cpu', 'memory']) {
          const request = container.resources?.requests?.[resource];
          const limit = container.resources?.limits?.[resource];
          expect(request, `${name} ${resource} request`).toBeDefined();
          expect(limit, `${name} ${resource} limit`).toBeDefined();
          expect(quantity(limit!), `${name} ${resource}`).toBeGreaterThanOrEqual(quantity(request!));
        }
      }
    }
  });

  it('runs every pod restricted: non-root by number, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    for (const { name, template } of podTemplates()) {
      const pod = template.spec;
      expect(pod.securityContext, name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext?.runAsUser, name).toEqual(expect.any(Number));
      expect(pod.securityContext?.runAsUser, name).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken, name).toBe(false);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(container.securityContext, `${name}/${container.name}`).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.securityContext?.capabilities?.add ?? [], name).toEqual([]);
        expect(container.securityContext?.privileged ?? false, name).toBe(false);
      }
    }
  });

  it('lets processes write to an emptyDir at /tmp only, never to a data folder where secrets could be generated', () => {
    for (const { name, template } of podTemplates()) {
      const volumes = new Map((template.spec.volumes ?? []).map((volume) => [volume.name, volume]));
      for (const container of template.spec.containers) {
        const writable = (container.volumeMounts ?? []).filter((mount) => !mount.readOnly);
        // nginx also writes the server block it renders from its template at start.
        expect(
          writable.map((mount) => mount.mountPath),
          name,
        ).toEqual(webApps.includes(name) ? ['/tmp', '/etc/nginx/conf.d'] : ['/tmp']);
        for (const mount of writable) expect(volumes.get(mount.name)?.emptyDir, `${name}: ${mount.mountPath} is an emptyDir`).toBeDefined();
        expect(environment(container).has('GREENCART_DATA_DIR'), `${name}: keeps the image's read-only data folder`).toBe(false);
      }
      for (const volume of volumes.values()) expect(volume.secret, `${name}: no Secret volumes`).toBeUndefined();
    }
  });

  it('gives each Deployment a Service on its port that picks its pods and not the migration Jobs', () => {
    const jobPods = all('Job').map((job) => job.spec!.template!.metadata.labels);
    for (const name of services) {
      const service = one('Service', name);
      const podLabels = one('Deployment', name).spec!.template!.metadata.labels;
      expect(
        Object.entries(service.spec!.selector!).every(([key, value]) => podLabels[key] === value),
        name,
      ).toBe(true);
      for (const labels of jobPods)
        expect(
          Object.entries(service.spec!.selector!).every(([key, value]) => labels[key] === value),
          `${name} picks a Job pod`,
        ).toBe(false);
      expect(
        service.spec!.ports?.map((port) => port.port),
        name,
      ).toEqual([ports[name], metricsPorts[name]]);
    }
    for (const name of webApps) {
      const service = one('Service', name);
      const podLabels = one('Deployment', name).spec!.template!.metadata.labels;
      expect(
        Object.entries(service.spec!.selector!).every(([key, value]) => podLabels[key] === value),
        name,
      ).toBe(true);
      expect(service.spec!.ports, name).toEqual([{ name: 'http', port: webAppPort, targetPort: 'http' }]);
    }
  });

  it("has Prometheus scrape /metrics on each process's metrics port: pod annotations, and a Service port named `metrics` for a ServiceMonitor", () => {
    for (const name of services) {
      const template = one('Deployment', name).spec!.template!;
      expect(template.metadata.annotations, name).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPorts[name]), 'prometheus.io/path': '/metrics' });
      expect(
        one('Service', name).spec!.ports?.find((port) => port.name === 'metrics'),
        name,
      ).toMatchObject({ port: metricsPorts[name], targetPort: 'metrics' });
    }
  });

  it("has the production overlay size every process and give every subgraph its database server (no service left at the base's values)", () => {
    const base = render(join(kubernetesFolder, 'base'));
    const inBase = (kind: string, name: string) => base.find((object) => object.kind === kind && object.metadata.name === name);
    for (const name of deployments) {
      const resourcesOf = (deployment: KubernetesObject | undefined) => deployment?.spec?.template?.spec.containers[0]?.resources;
      expect(resourcesOf(one('Deployment', name)), `${name}: resources.yaml sizes it`).not.toEqual(resourcesOf(inBase('Deployment', name)));
    }
    const kustomization = YAML.parse(readFileSync(join(overlay, 'kustomization.yaml'), 'utf8')) as { replicas: Array<{ name: string }> };
    const autoscalers = YAML.parseAllDocuments(readFileSync(join(overlay, 'autoscalers.yaml'), 'utf8')).map((document) => (document.toJS() as KubernetesObject).metadata.name);
    expect(kustomization.replicas.map((entry) => entry.name).sort(), 'kustomization.yaml: the replicas of every process').toEqual([...deployments].sort());
    expect(autoscalers.sort(), 'autoscalers.yaml: every process').toEqual([...deployments].sort());
    for (const subgraph of manifest.subgraphs) {
      const egress = (policy: KubernetesObject | undefined) => JSON.stringify((policy?.spec as { egress?: unknown } | undefined)?.egress);
      expect(egress(one('NetworkPolicy', `${subgraph.name}-database`)), `${subgraph.name}: external-services.yaml gives its database's address`).not.toBe(
        egress(inBase('NetworkPolicy', `${subgraph.name}-database`)),
      );
    }
  });

  it('gives each Deployment a disruption budget that leaves one replica to drain at a time, and a CPU autoscaler from its replicas', () => {
    for (const name of deployments) {
      const deployment = one('Deployment', name);
      const podLabels = deployment.spec!.template!.metadata.labels;
      const budgets = all('PodDisruptionBudget').filter((budget) => matches(budget.spec!.selector, podLabels));
      expect(budgets, name).toHaveLength(1);
      const budget = budgets[0]!.spec!;
      if (budget.maxUnavailable !== undefined) expect(budget.maxUnavailable, name).toBeGreaterThanOrEqual(1);
      else expect(Number(budget.minAvailable), name).toBeLessThan(deployment.spec!.replicas!);

      const autoscalers = all('HorizontalPodAutoscaler').filter((autoscaler) => autoscaler.spec!.scaleTargetRef?.name === name);
      expect(autoscalers, name).toHaveLength(1);
      const autoscaler = autoscalers[0]!;
      expect(autoscaler.apiVersion).toBe('autoscaling/v2');
      expect(autoscaler.spec!.scaleTargetRef, name).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(autoscaler.spec!.minReplicas, name).toBe(deployment.spec!.replicas);
      expect(autoscaler.spec!.maxReplicas, name).toBeGreaterThan(autoscaler.spec!.minReplicas!);
      expect(autoscaler.spec!.metrics, name).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
    }
  });

  describe('network policies', () => {
    /** Every pod GreenCart runs, by the Deployment or Job that makes it. */
    const pods = () => podTemplates().map(({ name, template }) => ({ name, labels: template.metadata.labels }));
    const policiesFor = (labels: Labels, type: 'Ingress' | 'Egress') => all('NetworkPolicy').filter((policy) => policy.spec!.policyTypes?.includes(type) && matches(policy.spec!.podSelector, labels));
    const portsOf = (rule: PolicyRule) => {
      expect(rule.ports?.length, 'every rule names its ports').toBeGreaterThan(0);
      return rule.ports!.map((port) => `${port.protocol ?? 'TCP'}/${port.port}`);
    };
    /** What a peer stands for: one of our pods, the cluster DNS, an address block, or anywhere. */
    const peersOf = (peers: PolicyPeer[] | undefined): string[] => {
      if (!peers?.length) return ['anywhere'];
      return peers.flatMap((peer) => {
        if (peer.ipBlock) {
          expect(peer.ipBlock.cidr, 'an ipBlock names a server, not the internet').not.toMatch(/^0\.0\.0\.0\/0$|^::\/0$/);
          return ['address'];
        }
        if (peer.namespaceSelector) {
          const prometheus = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
          if (peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring') {
            expect(peer, 'Prometheus in the monitoring namespace').toEqual(prometheus);
            return ['prometheus'];
          }
          expect(peer, 'the only other namespaces reached are the cluster DNS and Prometheus').toEqual({
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          });
          return ['dns'];
        }
        const reached = pods()
          .filter((pod) => matches(peer.podSelector, pod.labels))
          .map((pod) => pod.name);
        expect(reached.length, `peer ${JSON.stringify(peer)} picks none of our pods`).toBeGreaterThan(0);
        return reached;
      });
    };
    const allowed = (labels: Labels, type: 'Ingress' | 'Egress') =>
      new Set(
        policiesFor(labels, type)
          .flatMap((policy) => (type === 'Ingress' ? policy.spec!.ingress : policy.spec!.egress) ?? [])
          .flatMap((rule) => {
            const peers = peersOf(type === 'Ingress' ? rule.from : rule.to);
            return peers.flatMap((peer) => portsOf(rule).map((port) => `${peer} ${port}`));
          }),
      );
    const labelsOf = (name: string) => pods().find((pod) => pod.name === name)!.labels;

    it('deny everything by default, in and out', () => {
      const denials = all('NetworkPolicy').filter((policy) => Object.keys(policy.spec!.podSelector ?? {}).length === 0 && !policy.spec!.ingress && !policy.spec!.egress);
      expect(denials.map((policy) => policy.spec!.policyTypes?.slice().sort())).toContainEqual(['Egress', 'Ingress']);
    });

    it('let into each process only its callers, on its port, Prometheus on its metrics port, and into migration Jobs nothing', () => {
      for (const name of services) {
        const expected = [...callers[name].map((caller) => `${caller} TCP/${ports[name]}`), `prometheus TCP/${metricsPorts[name]}`];
        expect([...allowed(labelsOf(name), 'Ingress')].sort(), name).toEqual(expected.sort());
      }
      for (const name of subgraphs) expect([...allowed(labelsOf(`${name}-migrate`), 'Ingress')], `${name}-migrate`).toEqual([]);
    });

    it('let into each web app anyone, on its port only, and out of it nothing but DNS (browsers call the gateway, not the web app)', () => {
      for (const name of webApps) {
        expect([...allowed(labelsOf(name), 'Ingress')], name).toEqual([`anywhere TCP/${webAppPort}`]);
        expect([...allowed(labelsOf(name), 'Egress')].sort(), name).toEqual(['dns TCP/53', 'dns UDP/53']);
        // And no service lets it in: it calls none.
        for (const service of services)
          expect(
            [...allowed(labelsOf(service), 'Ingress')].some((rule) => rule.startsWith(`${name} `)),
            `${service} lets in ${name}`,
          ).toBe(false);
      }
    });

    it('let each pod out only to the processes it calls, its database or Redis, and DNS', () => {
      const dns = ['dns UDP/53', 'dns TCP/53'];
      const calls = (name: ServiceName) => services.filter((callee) => callers[callee].includes(name)).map((callee) => `${callee} TCP/${ports[callee]}`);
      for (const name of services) {
        const external = name === 'gateway' ? 'address TCP/6379' : 'address TCP/5432';
        expect([...allowed(labelsOf(name), 'Egress')].sort(), name).toEqual([...calls(name), external, ...dns].sort());
      }
      for (const name of subgraphs) expect([...allowed(labelsOf(`${name}-migrate`), 'Egress')].sort(), `${name}-migrate`).toEqual(['address TCP/5432', ...dns].sort());
    });

    it('allow every call that the processes are configured to make (*_URL, JWKS_URL), both ways', () => {
      const serviceByHost = new Map(services.map((name) => [`${name}:${ports[name]}`, name]));
      for (const name of services) {
        const container = one('Deployment', name).spec!.template!.spec.containers[0]!;
        for (const [variable, { value }] of environment(container)) {
          if (!/_URL$/.test(variable) || value === undefined || variable === 'PUBLIC_URL') continue;
          const callee = serviceByHost.get(new URL(value).host);
          expect(callee, `${name}: ${variable}=${value} names a GreenCart Service`).toBeDefined();
          expect(allowed(labelsOf(name), 'Egress').has(`${callee} TCP/${ports[callee!]}`), `${name} may call ${callee} (${variable})`).toBe(true);
          expect(allowed(labelsOf(callee!), 'Ingress').has(`${name} TCP/${ports[callee!]}`), `${callee} lets in ${name} (${variable})`).toBe(true);
        }
      }
    });
  });

  it('runs each subgraph’s migrations in a Job with its image, its settings and its database only', () => {
    expect(
      all('Job')
        .map((job) => job.metadata.name)
        .sort(),
    ).toEqual(subgraphs.map((name) => `${name}-migrate`));
    for (const name of subgraphs) {
      const job = one('Job', `${name}-migrate`);
      const pod = job.spec!.template!.spec;
      expect(['Never', 'OnFailure'], name).toContain(pod.restartPolicy);
      const [container] = pod.containers;
      const server = one('Deployment', name).spec!.template!.spec.containers[0]!;
      expect(container!.image, name).toBe(server.image);
      expect(container!.command, name).toEqual(['node', `subgraphs/${name}/dist/migrate.js`]);
      expect(container!.envFrom, `${name}: the servers' settings, so the same database name`).toEqual(server.envFrom);
      expect(environment(container!).get('NODE_ENV')?.value, name).toBe('production');
    }
  });

  it('serves the repository’s supergraph.graphql from a generated ConfigMap mounted where SUPERGRAPH_PATH points', () => {
    const supergraph = readFileSync(supergraphSchemaPath, 'utf8');
    expect(readFileSync(kubernetesSupergraphPath, 'utf8'), 'deploy/kubernetes/base/gateway/supergraph.graphql is stale: run npm run compose').toBe(supergraph);
    const pod = one('Deployment', 'gateway').spec!.template!.spec;
    const container = pod.containers[0]!;
    const path = environment(container).get('SUPERGRAPH_PATH')?.value;
    const mount = container.volumeMounts?.find((entry) => path?.startsWith(`${entry.mountPath}/`));
    expect(mount, `a volume at ${path}`).toBeDefined();
    expect(mount!.readOnly).toBe(true);
    const source = pod.volumes?.find((volume) => volume.name === mount!.name)?.configMap;
    expect(source?.name).toMatch(/^supergraph-[a-z0-9]{10}$/); // kustomize's hash: a new schema rolls the gateway
    expect(configMap(source!.name).data?.[path!.slice(mount!.mountPath.length + 1)]).toBe(supergraph);
  });

  it('holds no Secret, and gives each container only the Secret keys it needs (only accounts the signing key)', () => {
    expect(all('Secret')).toEqual([]);
    for (const { name, template } of podTemplates()) {
      const [container] = template.spec.containers;
      const env = environment(container!);
      const referenced = Object.fromEntries(
        [...env]
          .filter(([, variable]) => variable.secret)
          .map(([variable, { secret }]) => {
            expect(secret!.key, `${name}: ${variable} is read from the key of its own name`).toBe(variable);
            return [variable, { secret: secret!.name, optional: secret!.optional }];
          }),
      );
      expect(referenced, name).toEqual(secretsOf[name]);
      for (const [variable, { value }] of env) if (secretVariables.has(variable)) expect(value, `${name}: ${variable} only from a Secret`).toBeUndefined();
    }
    for (const map of all('ConfigMap')) for (const key of Object.keys(map.data ?? {})) expect(secretVariables.has(key), `${map.metadata.name} holds ${key}`).toBe(false);
  });

  it('gives a caller’s private key to its own pods only, and each service its callers’ public keys from one ConfigMap (docs/operations.md, "Service keys")', () => {
    const privateKeySecrets = new Map<string, string>();
    for (const { name, template } of podTemplates()) {
      const env = environment(template.spec.containers[0]!);
      const service = services.find((service) => service === name);
      const privateKey = env.get('SERVICE_PRIVATE_KEY');
      if (service && calleesOf(service).length > 0) {
        expect(privateKey?.secret, `${name}: its own key, from a Secret`).toBeDefined();
        expect(privateKeySecrets.get(privateKey!.secret!.name), `${name} shares its key's Secret`).toBeUndefined();
        privateKeySecrets.set(privateKey!.secret!.name, name);
      } else {
        expect(privateKey, `${name} calls no service, so holds no key`).toBeUndefined();
      }
      const publicKeys = [...env].filter(([variable]) => variable.endsWith('_SERVICE_PUBLIC_KEYS'));
      const expected = service ? callersOf(service).map((caller) => `${caller.toUpperCase()}_SERVICE_PUBLIC_KEYS`) : [];
      expect(publicKeys.map(([variable]) => variable).sort(), name).toEqual(expected.sort());
      for (const [variable, { configMap }] of publicKeys) expect(configMap, `${name}: ${variable}`).toEqual({ name: 'greencart-service-public-keys', key: variable, optional: false });
    }
    expect([...privateKeySecrets.values()].sort()).toEqual(callingServices().sort());
  });

  it('sets only variables that docs/operations.md documents', () => {
    const readme = readFileSync(join(repositoryRoot, 'docs', 'operations.md'), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| ((?:`[A-Z0-9_]+`, )*`[A-Z0-9_]+`) \|/gm)].flatMap((match) => match[1]!.split(', ').map((variable) => variable.slice(1, -1))));
    documented.add('REDIS_URL'); // the gateway's shared rate limits, documented with that change
    for (const { name, template } of podTemplates()) {
      for (const variable of environment(template.spec.containers[0]!).keys())
        expect(documented.has(variable), `${name}: ${variable} is not in the environment table of docs/operations.md`).toBe(true);
    }
  });
});
