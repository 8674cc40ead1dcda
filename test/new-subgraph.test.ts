import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dropDatabase, environmentNameOf, readServiceManifest, repositoryManifest, repositoryRoot, UserErrorCode } from '@greencart/platform';
import { ScaffoldRefusal, scaffoldSubgraph, templateRoot } from '../scripts/lib/subgraph-scaffold.js';
import { graphqlClient } from './support/graphql.js';
import { freePort } from './support/ports.js';

/**
 * `npm run new-subgraph` as a team runs it, in a temporary copy of the repository: it scaffolds a
 * throwaway subgraph, whose code type-checks and whose manifest entry the repository's checks accept;
 * then the copy's `npm start` composes it into the supergraph, and a field it contributes answers
 * through the copy's gateway with the row added through it. The harness (test/support/supergraph.ts)
 * is not used: it refuses a manifest naming a subgraph it does not start, as the copy's is.
 */
const NAME = 'gift-wrap';
const serverUrl = inject('postgresServerUrl');
const suffix = randomBytes(4).toString('hex');
// npm run/npx and Vitest put their own variables in the environment; the copy's tools must act on the copy alone.
const cleanEnvironment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|VITEST)/i.test(name)));

let copy: string;
let dataDir: string;
const databases: string[] = [];

interface Outcome {
  code: number;
  output: string;
}

function run(command: string, args: string[], environment: Record<string, string | undefined> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: copy, env: { ...cleanEnvironment, ...environment }, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** The repository's files (committed or not, ignored ones left out), and its dependencies linked, with the workspaces' links pointing at the copy's own. */
async function copyRepository(): Promise<void> {
  const listed = await new Promise<string>((resolve, reject) =>
    execFile('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repositoryRoot, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
  const files = listed.split('\0').filter((file) => file && existsSync(join(repositoryRoot, file)));
  await Promise.all(files.map((file) => cp(join(repositoryRoot, file), join(copy, file), { verbatimSymlinks: true })));
  const modules = join(repositoryRoot, 'node_modules');
  await mkdir(join(copy, 'node_modules', '@greencart'), { recursive: true });
  for (const name of await readdir(modules)) {
    if (name !== '@greencart') await symlink(join(modules, name), join(copy, 'node_modules', name));
  }
  for (const name of await readdir(join(modules, '@greencart'))) {
    await symlink(await readlink(join(modules, '@greencart', name)), join(copy, 'node_modules', '@greencart', name));
  }
}

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), 'greencart-new-subgraph-'));
  dataDir = join(copy, '.data');
  await copyRepository();
  await mkdir(dataDir);
  await chmod(dataDir, 0o755);
});

afterAll(async () => {
  await Promise.all(databases.map((name) => dropDatabase(serverUrl, name)));
  if (copy) await rm(copy, { recursive: true, force: true });
});

describe('npm run new-subgraph', () => {
  it('refuses a name the manifest refuses, holds already or reserves, and writes nothing', () => {
    const manifestBefore = readFileSync(join(copy, 'supergraph.yaml'), 'utf8');
    const refusal = (name: string) => {
      try {
        scaffoldSubgraph(copy, name);
      } catch (error) {
        expect(error).toBeInstanceOf(ScaffoldRefusal);
        return (error as Error).message;
      }
      throw new Error(`${name} was not refused`);
    };
    expect(refusal('Gift_Wrap')).toMatch(/subgraphs\.Gift_Wrap: must be lower case letters, digits and hyphens/);
    expect(refusal('products')).toMatch(/supergraph\.yaml has products already/);
    expect(refusal('redis')).toMatch(/REDIS_URL.*GreenCart's already: choose another name/);
    expect(refusal('gateway')).toMatch(/the gateway is no subgraph/);
    // A name whose types another subgraph defines already: composition would merge them silently.
    const productsSchema = join(copy, 'subgraphs', 'products', 'schema.graphql');
    const productsSchemaText = readFileSync(productsSchema, 'utf8');
    writeFileSync(productsSchema, `${productsSchemaText}\ntype ShelfNote {\n  id: ID!\n}\n`);
    try {
      expect(refusal('shelf')).toMatch(/subgraphs\/products\/schema\.graphql defines ShelfNote already/);
    } finally {
      writeFileSync(productsSchema, productsSchemaText);
    }
    expect(readFileSync(join(copy, 'supergraph.yaml'), 'utf8')).toBe(manifestBefore);
    expect(existsSync(join(copy, 'subgraphs', 'shelf'))).toBe(false);
  });

  it('says why on the command line, and exits 1', async () => {
    const refused = await run('npm', ['run', '--silent', 'new-subgraph', 'products']);
    expect(refused.code).toBe(1);
    expect(refused.output.trim()).toBe('cannot add subgraph products:\n  supergraph.yaml has products already');
  }, 90_000);

  it("keeps the template's UserErrorCode to the platform's codes", () => {
    const template = readFileSync(join(templateRoot, 'subgraphs', '__name__', 'schema.graphql'), 'utf8');
    const codes = /enum UserErrorCode \{([^}]*)\}/.exec(template)![1]!.trim().split(/\s+/);
    expect(codes).toEqual(Object.values(UserErrorCode));
  });

  it(`scaffolds ${NAME}: its workspace in the house layout, its manifest entry on the next free ports, and the supergraph composed with it`, async () => {
    const scaffold = await run('npm', ['run', 'new-subgraph', NAME]);
    // What a team sees: the files, the shared files given its lines, and the checklist (without codegen's progress lines).
    console.log(
      scaffold.output
        .split('\n')
        .filter((line) => !/^\s*[❯✔]/.test(line))
        .join('\n'),
    );
    expect(scaffold.code, scaffold.output).toBe(0);
    const workspace = join(copy, 'subgraphs', NAME);
    for (const file of [
      'package.json',
      'tsconfig.build.json',
      'codegen.json',
      'drizzle.config.ts',
      'schema.graphql',
      'src/index.ts',
      'src/server.ts',
      'src/env.ts',
      'src/migrate.ts',
      'src/context.ts',
      'src/loaders.ts',
      'src/db/schema.ts',
      'src/db/database.ts',
      'src/db/note-repository.ts',
      'src/services/note-service.ts',
      'src/resolvers/index.ts',
      'src/resolvers/Query.ts',
      'src/resolvers/Mutation.ts',
      'src/resolvers/GiftWrapNote.ts',
      'src/generated/resolvers-types.ts',
      'migrations/0000_init.sql',
      'migrations/meta/_journal.json',
      `test/${NAME}-rules.test.ts`,
    ]) {
      expect(existsSync(join(workspace, file)), `subgraphs/${NAME}/${file}`).toBe(true);
    }
    expect(readFileSync(join(workspace, 'migrations', '0000_init.sql'), 'utf8')).toContain('CREATE TABLE "notes"');
    const entry = readServiceManifest(join(copy, 'supergraph.yaml')).subgraphs.find((subgraph) => subgraph.name === NAME);
    expect(entry).toMatchObject({ port: 4005, metricsPort: 9405, database: 'greencart_gift_wrap', workspace: `subgraphs/${NAME}`, callers: { graphql: ['gateway'] } });
    // The manifest's comments are kept.
    expect(readFileSync(join(copy, 'supergraph.yaml'), 'utf8')).toContain('# The service manifest: what the GreenCart supergraph is made of');
    expect(readFileSync(join(copy, 'supergraph.graphql'), 'utf8')).toMatch(/giftWrapNotes\(first: Int\): \[GiftWrapNote!\]! @join__field\(graph: GIFT_WRAP\)/);
    expect(readFileSync(join(copy, 'client', 'schema.graphql'), 'utf8')).toContain('addGiftWrapNote(text: String!): AddGiftWrapNotePayload!');
    expect(scaffold.output).toContain('Left to do');
    // Nothing of it in the repository itself.
    expect(existsSync(join(repositoryRoot, 'subgraphs', NAME))).toBe(false);
  }, 240_000);

  it('writes code that type-checks against its generated resolver types', async () => {
    // The new workspace and what it imports, rather than the whole repository again.
    await writeFile(join(copy, 'tsconfig.new-subgraph.json'), JSON.stringify({ extends: './tsconfig.json', include: [`subgraphs/${NAME}`] }));
    const typecheck = await run(join(copy, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', 'tsconfig.new-subgraph.json']);
    expect(typecheck.output).toBe('');
    expect(typecheck.code).toBe(0);
  }, 180_000);

  it("passes the copy's checks of the manifest, docker-compose.yml and Kubernetes, and its own unit test, but for the harness and the bench, which a team extends by hand", async () => {
    const report = join(copy, 'vitest-report.json');
    const files = ['test/service-manifest.test.ts', 'test/docker-compose.test.ts', 'test/kubernetes.test.ts', `subgraphs/${NAME}/test`];
    const tests = await run(join(copy, 'node_modules', '.bin', 'vitest'), ['run', ...files, '--reporter=json', `--outputFile=${report}`], { DATABASE_URL: serverUrl });
    const results = JSON.parse(readFileSync(report, 'utf8')) as { testResults: Array<{ name: string; assertionResults: Array<{ title: string; status: string }> }> };
    const outcomes = results.testResults.flatMap((file) => file.assertionResults.map((test) => ({ file: file.name.slice(copy.length + 1), title: test.title, status: test.status })));
    expect(
      outcomes.filter((test) => test.status === 'failed').map((test) => test.title),
      tests.output,
    ).toEqual(["is what the integration tests' harness starts: every subgraph", 'is what the bench starts: every subgraph, each with its own bench database']);
    expect(outcomes.filter((test) => test.file === `subgraphs/${NAME}/test/${NAME}-rules.test.ts` && test.status === 'passed').length).toBeGreaterThan(0);
  }, 180_000);

  it("starts with the copy's npm start and answers the field it contributes through the gateway", async () => {
    const services = ['gateway', ...repositoryManifest().subgraphs.map((subgraph) => subgraph.name), NAME];
    const ports = Object.fromEntries(await Promise.all(services.map(async (service) => [service, await freePort()] as const)));
    const perSubgraph: Record<string, string> = {};
    for (const subgraph of services.slice(1)) {
      const variable = environmentNameOf(subgraph);
      const database = `test_${suffix}_${subgraph.replaceAll('-', '_')}`;
      databases.push(database);
      Object.assign(perSubgraph, { [`${variable}_PORT`]: String(ports[subgraph]), [`${variable}_METRICS_PORT`]: '0', [`${variable}_DATABASE_NAME`]: database });
    }
    // The web apps (the storefront) on free ports too, apart from a running npm start's.
    for (const app of repositoryManifest().webApps) perSubgraph[`${environmentNameOf(app.name)}_PORT`] = String(await freePort());
    const child: ChildProcess = spawn(process.execPath, ['--conditions=@greencart/source', '--import', 'tsx', join(copy, 'scripts', 'start.ts')], {
      cwd: copy,
      env: { ...cleanEnvironment, DATABASE_URL: serverUrl, GREENCART_DATA_DIR: dataDir, PORT: String(ports.gateway), METRICS_PORT: '0', SEED_DEMO_DATA: 'false', LOG_LEVEL: 'warn', ...perSubgraph },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const log: string[] = [];
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => log.push(chunk));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const gateway = `http://127.0.0.1:${ports.gateway}`;
      for (let attempt = 0; ; attempt++) {
        if (child.exitCode !== null) throw new Error(`npm start exited before it was ready:\n${log.join('')}`);
        if (attempt > 720) throw new Error(`the gateway was not ready:\n${log.join('')}`);
        if (
          await fetch(`${gateway}/ready`).then(
            (response) => response.ok,
            () => false,
          )
        )
          break;
        await sleep(250);
      }
      const api = graphqlClient(`${gateway}/graphql`);
      const admin = await api.adminToken();
      const add = 'mutation($text: String!) { addGiftWrapNote(text: $text) { note { id text } userErrors { code field } } }';
      const added = await api.data(add, { text: 'Wrap the oats in brown paper.' }, { token: admin });
      expect(added.addGiftWrapNote.userErrors).toEqual([]);
      expect((await api.data(add, { text: '  ' }, { token: admin })).addGiftWrapNote).toEqual({ note: null, userErrors: [{ code: 'INVALID_INPUT', field: 'text' }] });
      const { giftWrapNotes } = await api.data('{ giftWrapNotes(first: 5) { id text createdAt } }');
      expect(giftWrapNotes).toEqual([{ id: added.addGiftWrapNote.note.id, text: 'Wrap the oats in brown paper.', createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
      console.log(`Through the copy's gateway: ${JSON.stringify({ giftWrapNotes })}`);
    } finally {
      child.kill('SIGINT');
      expect(await exit).toBe(0);
    }
  }, 240_000);
});
