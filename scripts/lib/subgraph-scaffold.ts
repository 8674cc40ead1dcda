import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, Kind, type DocumentNode } from 'graphql';
import YAML from 'yaml';
import { environmentNameOf, parseServiceManifest, SERVICE_MANIFEST_FILE, serviceUrlVariable, userTokenIssuerOf, type ServiceManifest } from '@greencart/platform';

/**
 * `npm run new-subgraph <name>`: a new subgraph in the house layout, from the files under
 * scripts/templates/subgraph/ (the repository's own paths, with placeholders such as `__name__`),
 * entered in the service manifest and in every file test/service-manifest.test.ts checks against it.
 */

export const templateRoot = fileURLToPath(new URL('../templates/subgraph/', import.meta.url));

/** What the templates' placeholders become for one subgraph. */
export interface SubgraphNames {
  /** `gift-wrap`: the service, its folder, container and Kubernetes objects. */
  name: string;
  /** `GiftWrap`: its TypeScript and GraphQL type names. */
  pascalName: string;
  /** `giftWrap`: its root fields. */
  camelName: string;
  /** `GIFT_WRAP`: its environment variables. */
  environmentName: string;
  /** `greencart_gift_wrap`: its database, named as the manifest's others are. */
  database: string;
  port: number;
  metricsPort: number;
  /** The user token issuer (accounts) and its port: every subgraph fetches its public keys. */
  issuer: string;
  issuerPort: number;
}

/** A name the scaffold will not take; the message says why and what to do. */
export class ScaffoldRefusal extends Error {
  readonly code = 'SCAFFOLD_REFUSED';
}

/** What a scaffold did and what it leaves to a person. */
export interface ScaffoldReport {
  names: SubgraphNames;
  /** Files written from the templates, relative to the repository. */
  written: string[];
  /** Shared files given the new subgraph's lines. */
  edited: string[];
  /** What it could not write: each item says what to add and where. */
  remaining: string[];
}

const pascalCase = (name: string) =>
  name
    .split('-')
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

/** The names and ports for subgraph `name`: the next free ports after the manifest's highest. */
export function subgraphNamesFor(name: string, manifest: ServiceManifest): SubgraphNames {
  const pascalName = pascalCase(name);
  const issuer = userTokenIssuerOf(manifest);
  if (!issuer) throw new ScaffoldRefusal(`${SERVICE_MANIFEST_FILE} names no user_token_issuer, whose keys a new subgraph would verify tokens with`);
  const services = [manifest.gateway, ...manifest.subgraphs];
  return {
    name,
    pascalName,
    camelName: pascalName[0]!.toLowerCase() + pascalName.slice(1),
    environmentName: environmentNameOf(name),
    database: `greencart_${name.replaceAll('-', '_')}`,
    port: Math.max(...services.map((service) => service.port)) + 1,
    metricsPort: Math.max(...services.map((service) => service.metricsPort)) + 1,
    issuer: issuer.name,
    issuerPort: issuer.port,
  };
}

/** A template's text (or path) with its placeholders filled in. */
export function fillPlaceholders(text: string, names: SubgraphNames): string {
  const values: Record<string, string> = {
    name: names.name,
    Name: names.pascalName,
    camelName: names.camelName,
    NAME: names.environmentName,
    database: names.database,
    port: String(names.port),
    metricsPort: String(names.metricsPort),
    issuer: names.issuer,
    issuerPort: String(names.issuerPort),
    // A command's flags, as the JSON array items docker-compose and Kubernetes write them in.
    nodeFlags: SUBGRAPH_NODE_FLAGS.map((flag) => JSON.stringify(flag)).join(', '),
    // A placeholder address in the documentation range, one per port as the others' (accounts 4001: 192.0.2.11).
    databaseAddress: `192.0.2.${10 + (names.port % 100)}`,
  };
  return text.replace(/__(name|Name|camelName|NAME|database|port|metricsPort|issuer|issuerPort|nodeFlags|databaseAddress)__/g, (_, key: string) => values[key]!);
}

/** Every file the template copies (its subgraphs/ and deploy/ folders), relative to the template root. */
function templateFiles(folder = templateRoot): string[] {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (folder === templateRoot && !['subgraphs', 'deploy'].includes(entry)) return [];
    return statSync(path).isDirectory() ? templateFiles(path) : [relative(templateRoot, path)];
  });
}

/** A new subgraph's node flags: the heap budget the others have (supergraph.yaml), until its team measures its own. */
export const SUBGRAPH_NODE_FLAGS = ['--max-old-space-size=192'];

/** The manifest entry for the new subgraph, in the others' key order. */
function manifestEntry(names: SubgraphNames) {
  return {
    routing_url: `http://127.0.0.1:${names.port}/graphql`,
    schema: { file: `./subgraphs/${names.name}/schema.graphql` },
    workspace: `subgraphs/${names.name}`,
    port: names.port,
    metrics_port: names.metricsPort,
    database: names.database,
    node_flags: SUBGRAPH_NODE_FLAGS,
    callers: { graphql: ['gateway'] },
  };
}

/** The type and root field names a schema defines, as `Type` and `Query.field`. */
function definedNames(document: DocumentNode): string[] {
  return document.definitions.flatMap((definition) => {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) return 'name' in definition && definition.name ? [definition.name.value] : [];
    const typeName = definition.name.value;
    if (typeName === 'Query' || typeName === 'Mutation' || typeName === 'Subscription') return (definition.fields ?? []).map((field) => `${typeName}.${field.name.value}`);
    return [typeName];
  });
}

/** Why a name the manifest would accept cannot be taken: its folder or package exists, or another subgraph defines its types or root fields. */
function refusalsFor(root: string, manifestText: string, names: SubgraphNames): string[] {
  const manifest = parseServiceManifest(manifestText);
  const problems: string[] = [];
  for (const folder of [`subgraphs/${names.name}`, `deploy/kubernetes/base/${names.name}`]) if (existsSync(join(root, folder))) problems.push(`${folder} exists already`);
  const packages = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces.map(
    (workspace) => (JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as { name: string }).name,
  );
  if (packages.includes(`@greencart/${names.name}`)) problems.push(`the npm workspace @greencart/${names.name} exists already`);
  const newNames = new Set(definedNames(parse(fillPlaceholders(readFileSync(join(templateRoot, 'subgraphs/__name__/schema.graphql'), 'utf8'), names))));
  // Shared value types are meant to be defined again, identically, in every subgraph.
  for (const shared of ['DateTime', 'UserError', 'UserErrorCode']) newNames.delete(shared);
  for (const subgraph of manifest.subgraphs) {
    const clashes = definedNames(parse(readFileSync(join(root, subgraph.schemaFile), 'utf8'))).filter((defined) => newNames.has(defined));
    if (clashes.length > 0) problems.push(`${subgraph.schemaFile} defines ${clashes.join(', ')} already, which the new subgraph's schema would define too`);
  }
  return problems;
}

/** The manifest with the new subgraph appended under `subgraphs:`, its comments and layout kept. */
function manifestWith(manifestText: string, names: SubgraphNames): string {
  const document = YAML.parseDocument(manifestText);
  const subgraphs = document.get('subgraphs');
  if (!YAML.isMap(subgraphs)) throw new ScaffoldRefusal(`${SERVICE_MANIFEST_FILE} has no subgraphs: map`);
  const entry = document.createNode(manifestEntry(names));
  const callers = entry.get('callers');
  if (YAML.isMap(callers)) {
    callers.commentBefore = ' Endpoint → the services that may call it; add a caller here when another service calls this one.';
    const graphql = callers.get('graphql');
    if (YAML.isSeq(graphql)) graphql.flow = true;
  }
  subgraphs.set(names.name, entry);
  return document.toString({ flowCollectionPadding: false });
}

/** Inserts `lines` after the last line matching `pattern` (in lines[from, to)); throws naming the file when none does. */
function insertAfterLast(text: string, pattern: RegExp, lines: string[], file: string, region?: { from: RegExp; to?: RegExp }): string {
  const all = text.split('\n');
  let from = 0;
  let to = all.length;
  if (region) {
    from = all.findIndex((line) => region.from.test(line));
    if (from < 0) throw new Error(`${file}: no line matches ${region.from}`);
    const end = region.to ? all.findIndex((line, index) => index > from && region.to!.test(line)) : -1;
    if (end > 0) to = end;
  }
  let last = -1;
  for (let index = from; index < to; index++) if (pattern.test(all[index]!)) last = index;
  if (last < 0) throw new Error(`${file}: no line matches ${pattern}`);
  all.splice(last + 1, 0, ...lines);
  return all.join('\n');
}

interface SharedFileEdit {
  file: string;
  /** What a person adds by hand when the file's layout is not what the edit expects. */
  byHand: string;
  edit: (text: string) => string;
}

/** The lines the new subgraph adds to files that list every service (`manifest`: the one without it). */
function sharedFileEdits(names: SubgraphNames, manifest: ServiceManifest): SharedFileEdit[] {
  const { name, port, metricsPort } = names;
  const workspace = `subgraphs/${name}`;
  const urlVariable = serviceUrlVariable(name);
  const last = <T>(items: T[]) => items[items.length - 1]!;
  return [
    {
      file: 'package.json',
      byHand: `add "${workspace}" to "workspaces"`,
      edit: (text) => {
        const manifest = JSON.parse(text) as { workspaces: string[] };
        const after = manifest.workspaces.findLastIndex((entry) => entry.startsWith('subgraphs/'));
        manifest.workspaces.splice(after + 1, 0, workspace);
        return `${JSON.stringify(manifest, null, 2)}\n`;
      },
    },
    {
      file: 'package-lock.json',
      byHand: `run \`npm install\` to enter the workspace ${workspace}`,
      edit: (text) => {
        // What `npm install` writes for a workspace without dependencies, in npm's key order.
        const lock = JSON.parse(text) as { packages: Record<string, { workspaces?: string[] } & Record<string, unknown>> };
        const rootPackage = lock.packages['']!;
        const workspaces = rootPackage.workspaces!;
        workspaces.splice(workspaces.findLastIndex((entry) => entry.startsWith('subgraphs/')) + 1, 0, workspace);
        const added: Record<string, Record<string, unknown>> = {
          [`node_modules/@greencart/${name}`]: { resolved: workspace, link: true },
          [workspace]: { name: `@greencart/${name}`, version: '0.1.0' },
        };
        const [root, ...rest] = Object.entries(lock.packages);
        const sorted = [...rest, ...Object.entries(added)].sort(([a], [b]) => a.localeCompare(b, 'en'));
        lock.packages = Object.fromEntries([root!, ...sorted]);
        return `${JSON.stringify(lock, null, 2)}\n`;
      },
    },
    {
      file: 'tsconfig.build.json',
      byHand: `add { "path": "${workspace}/tsconfig.build.json" } to "references"`,
      edit: (text) => insertAfterLast(text, /"path": "subgraphs\/[^"]+\/tsconfig\.build\.json"/, [`    { "path": "${workspace}/tsconfig.build.json" },`], 'tsconfig.build.json'),
    },
    {
      file: 'Dockerfile',
      byHand: `add, in both stages, \`COPY ${workspace}/package.json ${workspace}/\`; in the last, \`COPY --from=build /app/${workspace}/dist ${workspace}/dist\`, \`COPY ${workspace}/schema.graphql ${workspace}/\` and \`COPY ${workspace}/migrations ${workspace}/migrations\``,
      edit: (text) => {
        const runStage = text.lastIndexOf('\nFROM ');
        const [build, run] = [text.slice(0, runStage), text.slice(runStage)];
        const packageLine = /^COPY subgraphs\/[^/]+\/package\.json subgraphs\/[^/]+\/$/;
        let stage = insertAfterLast(run, packageLine, [`COPY ${workspace}/package.json ${workspace}/`], 'Dockerfile');
        stage = insertAfterLast(stage, /^COPY --from=build \/app\/subgraphs\/[^/]+\/dist /, [`COPY --from=build /app/${workspace}/dist ${workspace}/dist`], 'Dockerfile');
        stage = insertAfterLast(stage, /^COPY subgraphs\/[^/]+\/migrations /, [`COPY ${workspace}/schema.graphql ${workspace}/`, `COPY ${workspace}/migrations ${workspace}/migrations`], 'Dockerfile');
        return insertAfterLast(build, packageLine, [`COPY ${workspace}/package.json ${workspace}/`], 'Dockerfile') + stage;
      },
    },
    {
      file: 'docker-compose.yml',
      byHand: `add a service ${name} running ${workspace}/dist/index.js with PORT ${port} and METRICS_PORT ${metricsPort}, its volume ${name}-data, and to the gateway ${urlVariable}: http://${name}:${port} and depends_on ${name}`,
      edit: (text) => {
        const service = fillPlaceholders(readFileSync(join(templateRoot, 'snippets', 'docker-compose-service.yml'), 'utf8'), names)
          .trimEnd()
          .split('\n');
        // The new service goes just before the gateway, after the other subgraphs.
        const lines = text.split('\n');
        const gatewayStart = lines.findIndex((line) => line === '  gateway:');
        if (gatewayStart < 0) throw new Error('docker-compose.yml: no gateway service');
        lines.splice(gatewayStart, 0, ...service, '');
        let compose = lines.join('\n');
        const gatewayBlock = { from: /^ {2}gateway:$/, to: /^ {2}\S/ };
        compose = insertAfterLast(compose, /^ {6}[A-Z0-9_]+_URL: http:\/\/[a-z0-9-]+:\d+$/, [`      ${urlVariable}: http://${name}:${port}`], 'docker-compose.yml', gatewayBlock);
        compose = insertAfterLast(compose, /^ {6}[a-z0-9-]+: \{ condition: service_healthy \}$/, [`      ${name}: { condition: service_healthy }`], 'docker-compose.yml', gatewayBlock);
        return insertAfterLast(compose, /^ {2}[a-z0-9-]+-data:$/, [`  ${name}-data:`], 'docker-compose.yml', { from: /^volumes:$/ });
      },
    },
    {
      file: 'deploy/prometheus/prometheus.yml',
      byHand: `add the target "${name}:${metricsPort}"`,
      edit: (text) => {
        const targets = /(- targets: \[[^\]]*)\]/;
        if (!targets.test(text)) throw new Error('deploy/prometheus/prometheus.yml: no targets list');
        return text.replace(targets, `$1, "${name}:${metricsPort}"]`);
      },
    },
    {
      file: 'deploy/kubernetes/base/kustomization.yaml',
      byHand: `add ${name} to resources`,
      edit: (text) => {
        const resources = (YAML.parse(text) as { resources: string[] }).resources.filter((resource) => !resource.includes('.'));
        return insertAfterLast(text, new RegExp(`^  - ${last(resources)}$`), [`  - ${name}`], 'deploy/kubernetes/base/kustomization.yaml');
      },
    },
    {
      file: 'deploy/kubernetes/base/gateway/kustomization.yaml',
      byHand: `add the literal ${urlVariable}=http://${name}:${port} to gateway-config`,
      edit: (text) => insertAfterLast(text, /^ {6}- [A-Z0-9_]+_URL=http:\/\/[a-z0-9-]+:\d+$/, [`      - ${urlVariable}=http://${name}:${port}`], 'deploy/kubernetes/base/gateway/kustomization.yaml'),
    },
    {
      file: 'deploy/kubernetes/base/gateway/network-policy.yaml',
      byHand: `let the gateway out to ${name}'s server pods on port ${port} (egress)`,
      edit: (text) => {
        // The rule is appended to egress, which must be the file's last list.
        if (!/^ {2}egress:$/m.test(text) || !/^ {10}port: \d+\s*$/.test(text.trimEnd().split('\n').at(-1)!))
          throw new Error('deploy/kubernetes/base/gateway/network-policy.yaml: egress is not its last list');
        return `${text.trimEnd()}\n${fillPlaceholders(readFileSync(join(templateRoot, 'snippets', 'gateway-egress.yaml'), 'utf8'), names)}`;
      },
    },
    {
      file: `deploy/kubernetes/base/${names.issuer}/network-policy.yaml`,
      byHand: `let ${name}'s server pods in to ${names.issuer} on port ${names.issuerPort}, for the public keys (JWKS_URL)`,
      edit: (text) => {
        // The new pods join the callers of the ingress rule on the issuer's port.
        const lines = text.split('\n');
        const ingress = lines.indexOf('  ingress:');
        const port = lines.findIndex((line, index) => index > ingress && line === `          port: ${names.issuerPort}` && lines[index - 2] === '      ports:');
        if (ingress < 0 || port < 0) throw new Error(`no ingress rule on port ${names.issuerPort}`);
        lines.splice(
          port - 2,
          0,
          ...fillPlaceholders(readFileSync(join(templateRoot, 'snippets', 'issuer-ingress.yaml'), 'utf8'), names)
            .trimEnd()
            .split('\n'),
        );
        return lines.join('\n');
      },
    },
    {
      file: 'docs/operations.md',
      byHand: `add ${names.environmentName}_DATABASE_NAME, _PORT, _METRICS_PORT and _URL beside the other subgraphs' in the environment table`,
      edit: (text) => {
        // A row whose first cell lists one variable per subgraph (`ACCOUNTS_URL`, `ORDERS_URL`, …) gets the new one's.
        let rows = 0;
        const edited = text.split('\n').map((line) => {
          const cell = /^\| ((?:`[A-Z0-9_]+`, )*`[A-Z0-9_]+`) \|/.exec(line)?.[1];
          if (!cell) return line;
          const variables = cell.split(', ').map((variable) => variable.slice(1, -1));
          const suffix = ['DATABASE_NAME', 'METRICS_PORT', 'PORT', 'URL'].find(
            (candidate) => variables.length === manifest.subgraphs.length && manifest.subgraphs.every((subgraph) => variables.includes(`${environmentNameOf(subgraph.name)}_${candidate}`)),
          );
          if (!suffix) return line;
          rows += 1;
          return line.replace(cell, `${cell}, \`${names.environmentName}_${suffix}\``);
        });
        if (rows === 0) throw new Error("no row lists the subgraphs' variables");
        return edited.join('\n');
      },
    },
    ...(
      [
        ['resources.yaml', 'overlay-resources.yaml', `size ${name}'s containers`],
        ['autoscalers.yaml', 'overlay-autoscaler.yaml', `give ${name}'s autoscaler its minimum and maximum`],
        ['external-services.yaml', 'overlay-database.yaml', `give ${name}-database the address of its PostgreSQL`],
      ] as const
    ).map(([file, snippet, byHand]) => ({
      file: `deploy/kubernetes/overlays/production/${file}`,
      byHand,
      edit: (text: string) => `${text.trimEnd()}\n${fillPlaceholders(readFileSync(join(templateRoot, 'snippets', snippet), 'utf8'), names)}`,
    })),
    {
      file: 'deploy/kubernetes/overlays/production/kustomization.yaml',
      byHand: `add ${name} to replicas, with count 2`,
      edit: (text) =>
        insertAfterLast(text, /^ {4}count: \d+$/, [`  - name: ${name}`, '    count: 2'], 'deploy/kubernetes/overlays/production/kustomization.yaml', { from: /^replicas:$/, to: /^[a-zA-Z]/ }),
    },
    {
      file: 'deploy/kubernetes/base/external-services.yaml',
      byHand: `add a NetworkPolicy ${name}-database letting ${name}'s pods out to its PostgreSQL`,
      edit: (text) => `${text.trimEnd()}\n---\n${fillPlaceholders(readFileSync(join(templateRoot, 'snippets', 'database-egress.yaml'), 'utf8'), names)}`,
    },
  ];
}

/** What a team writes or decides after the scaffold: the parts no template can know. */
export function remainingWork(names: SubgraphNames): string[] {
  const { name, pascalName, camelName } = names;
  const workspace = `subgraphs/${name}`;
  return [
    `The domain: replace the starting point (${pascalName}Note, ${camelName}Notes, add${pascalName}Note) in ${workspace}/schema.graphql, src/db/schema.ts, src/db/, src/services/, src/resolvers/ and codegen.json's mappers; then \`npm run db:generate -w ${workspace}\` (or delete migrations/ and generate it again before the first commit) and \`npm run generate\`.`,
    `docs/api.md: describe the new root fields (${camelName}Notes, add${pascalName}Note); test/documentation.test.ts names any it lacks.`,
    `test/support/supergraph.ts: start ${name} beside the others (prepare${pascalName}Database on a test database, start${pascalName}Service on port 0, its URL for the gateway) and add it to HARNESS_SUBGRAPHS; until then the harness refuses to start and test/service-manifest.test.ts says so.`,
    `scripts/bench: its process and bench database (BENCH_DATABASES in scripts/bench/common.ts), as test/service-manifest.test.ts asks.`,
    `Tests through the gateway: test/${name}.test.ts on the harness, for each field and rule of the domain (${workspace}/test/ holds its unit tests).`,
    `Callers: when ${name} calls another subgraph or another calls it, list them under callers in supergraph.yaml, give the caller its ${serviceUrlVariable(name)} (docker-compose.yml, its Kubernetes kustomization), mount the caller's public key volume in docker-compose.yml, and open both sides' NetworkPolicies (deploy/kubernetes/base/*/network-policy.yaml).`,
    `Kubernetes in production: the address of ${name}'s PostgreSQL in deploy/kubernetes/overlays/production/external-services.yaml (a placeholder now), its sizes there if they differ from the others', and the Secret greencart-${name}-database (docs/operations.md, "Kubernetes").`,
  ];
}

/** Writes the new subgraph's files and its lines in the shared files; runs nothing. */
export function scaffoldSubgraph(root: string, name: string): ScaffoldReport {
  const manifestPath = join(root, SERVICE_MANIFEST_FILE);
  const manifestText = readFileSync(manifestPath, 'utf8');
  const manifest = parseServiceManifest(manifestText);
  if (manifest.subgraphs.some((subgraph) => subgraph.name === name)) throw new ScaffoldRefusal(`cannot add subgraph ${name}:\n  ${SERVICE_MANIFEST_FILE} has ${name} already`);
  const names = subgraphNamesFor(name, manifest);
  // The manifest's own rules judge the name: its format, the reserved names, ports taken twice.
  let newManifestText: string;
  try {
    newManifestText = manifestWith(manifestText, names);
    parseServiceManifest(newManifestText);
  } catch (error) {
    throw new ScaffoldRefusal(`cannot add subgraph ${JSON.stringify(name)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const refusals = refusalsFor(root, manifestText, names);
  if (refusals.length > 0) throw new ScaffoldRefusal(`cannot add subgraph ${name}:\n${refusals.map((refusal) => `  ${refusal}`).join('\n')}`);

  const written: string[] = [];
  for (const template of templateFiles()) {
    const target = fillPlaceholders(template, names);
    mkdirSync(dirname(join(root, target)), { recursive: true });
    writeFileSync(join(root, target), fillPlaceholders(readFileSync(join(templateRoot, template), 'utf8'), names));
    written.push(target);
  }
  writeFileSync(manifestPath, newManifestText);
  const edited = [SERVICE_MANIFEST_FILE];
  const remaining: string[] = [];
  for (const { file, byHand, edit } of sharedFileEdits(names, manifest)) {
    try {
      writeFileSync(join(root, file), edit(readFileSync(join(root, file), 'utf8')));
      edited.push(file);
    } catch (error) {
      remaining.push(`${file}: ${byHand} (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  // What `npm install` links for a workspace; the lock file above already holds it.
  const link = join(root, 'node_modules', '@greencart', name);
  if (!existsSync(link)) symlinkSync(join('..', '..', 'subgraphs', name), link);
  return { names, written: written.sort(), edited, remaining: [...remaining, ...remainingWork(names)] };
}
